{% filter trim %}{% include "analytics/conftest.py" %}{% endfilter %}
