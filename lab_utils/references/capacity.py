"""Claims tested by the capacity section (filled in with the section: see lab_utils/references/__init__.py)."""
from .claim import Claim  # noqa: F401

CLAIMS: tuple = ()
