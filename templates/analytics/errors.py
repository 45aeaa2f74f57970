class QueryTooExpensiveError(DataLayerError):
    """A BigQuery query would scan more bytes than allowed (BQ_MAX_BYTES_BILLED)."""

    def __init__(self, estimate: int, limit: int) -> None:
        super().__init__(
            f"the query would scan {estimate:,} bytes, more than the limit of {limit:,}"
        )
        self.estimate = estimate
        self.limit = limit


class AnalyticsWriteError(DataLayerError):
    """BigQuery refused rows of a batch; `written` holds the ids it stored before.

    Each request is all or nothing, but a batch is several requests: the
    events in `written` are stored, the others are not.
    """

    def __init__(self, written: list[str], errors: list[object]) -> None:
        super().__init__(
            f"BigQuery refused a batch of events after storing {len(written):,}:"
            f" {str(errors[:3])[:500]}"
        )
        self.written = written
        self.errors = errors
