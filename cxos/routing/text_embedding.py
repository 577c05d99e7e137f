"""The owner model's optional embedding features: each text's mean pretrained token embedding.

WordLlama's default model (`wordllama` on PyPI, MIT; 256-d, 16 MB, its weights inside the wheel) averages
token embeddings distilled from large language models' codebooks: no context, no torch, about 0.05 ms a text
on one core. Concatenated to the TF-IDF features, scaled by WEIGHT, it lifts banking77 from 90.9% to 92.3%
(figures and the tuning: README "Owner model", bench/backtest.py).

It is optional: when the package is not importable the owner model is the TF-IDF one alone. A model records
the encoder it was trained with (`ENCODER`, with the package's version), and a process whose encoder differs
(absent, or another version) refuses that model rather than feed it other features (`usable`).
Loading never downloads: the weights and the tokenizer are read from the package's own folder.
"""

import functools
import threading
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

PACKAGE = "wordllama"
MODEL = "l2_supercat"  # the default model, the one the wheel ships
# The wheel's model is 256-d, trained so its first dimensions say most. 3-fold CV on banking77's train split
# preferred all 256 (0.3 point more), but with them a fit of banking77's 10,003 texts took 11.4 s on an idle
# 2-core machine, over the 10 s target; the first 128 take 9.0 s (README "Owner model" has both).
DIM = 128
# The block's scale next to the two unit-norm TF-IDF blocks: picked by 3-fold CV on banking77's train split.
WEIGHT = 1.5
TEXT_CHARS = 2_000  # characters of a document embedded: a long ticket's head says what it is about

_lock = threading.Lock()
_loaded: dict[str, Any] = {}  # encoder name → the loaded WordLlama (one per process)


@functools.cache
def encoder_name() -> str | None:
    """This process's encoder, e.g. "wordllama 0.4.0.post1 l2_supercat 256d ×1.5"; None when it has none
    (looked up once per process: its package does not come and go)."""
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return None
    name = f"{PACKAGE} {version} {MODEL} {DIM}d ×{WEIGHT}"
    return None if _encoder(name) is None else name


def usable(encoder: str | None) -> bool:
    """Whether this process can compute the features of a model trained with `encoder` (None: TF-IDF only)."""
    return encoder is None or encoder == encoder_name()


def _encoder(name: str) -> Any:
    with _lock:
        if name in _loaded:
            return _loaded[name]  # None: it failed to load here
        try:
            import wordllama
            from wordllama import WordLlama

            # The wheel has the weights under weights/ and the tokenizer under tokenizers/, where load() looks
            # for a cache (it looks for the tokenizer in the package under tokenizer/, finds none, and would
            # download it): pointing the cache at the package finds both, and disable_download makes sure.
            model = WordLlama.load(
                config=MODEL,
                dim=256,
                trunc_dim=DIM if DIM < 256 else None,
                cache_dir=Path(wordllama.__file__).parent,
                disable_download=True,
            )
        except Exception:  # noqa: BLE001  # not installed, or broken: the TF-IDF model alone
            model = None
        _loaded[name] = model
        return model


def forget() -> None:
    """Drop the loaded encoder and what it was called: the next use loads it again (tests, the bench)."""
    with _lock:
        _loaded.clear()
    encoder_name.cache_clear()


def embed(documents: list[str], encoder: str) -> "csr_matrix":
    """The block for these documents: unit-length mean embeddings × WEIGHT, as a sparse matrix to stack.
    Raises LookupError when this process has another encoder (check `usable` first)."""
    from scipy.sparse import csr_matrix

    if encoder != encoder_name():
        raise LookupError(f"this model needs the {encoder} embeddings, and this process has {encoder_name()}")
    with np.errstate(invalid="ignore", divide="ignore"):  # a text with no token: NaN, made 0 below
        vectors = np.asarray(_encoder(encoder).embed([d[:TEXT_CHARS] for d in documents]), dtype=np.float64)
    vectors = np.nan_to_num(vectors, nan=0.0, posinf=0.0, neginf=0.0)
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    return csr_matrix(np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0) * WEIGHT)
