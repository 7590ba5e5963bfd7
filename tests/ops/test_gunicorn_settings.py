"""config/gunicorn.conf.py: what each worker does once the app is loaded."""
import gc
import runpy
from pathlib import Path

SETTINGS = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"


def test_a_worker_freezes_what_it_loaded_so_full_collections_skip_it():
    settings = runpy.run_path(str(SETTINGS))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](worker=None)
        # Everything alive at that point (this test's modules included) is out of the collector's reach.
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
