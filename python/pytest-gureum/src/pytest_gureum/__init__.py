"""A pytest fixture that starts a throwaway Gureum (see plugin.py)."""
from .plugin import Gureum

__all__ = ["Gureum"]
