"""The one exception type for data problems; its message always names the fix."""


class MNISTDataError(RuntimeError):
    """MNIST could not be found, read or verified. The message says what to do."""
