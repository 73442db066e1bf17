"""digestbot: the Korean Hugging Face Daily Papers digest, in Telegram."""

__version__ = "0.1.0"
