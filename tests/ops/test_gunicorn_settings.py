"""config/gunicorn.conf.py: what each worker does once the app is loaded."""
import gc
import runpy
from pathlib import Path

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

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


def test_gunicorn_gathers_no_access_line_of_its_own():
    settings = runpy.run_path(str(SETTINGS))
    cfg = Config()
    cfg.set("logconfig_dict", settings["logconfig_dict"])
    cfg.set("logger_class", settings["logger_class"])
    assert cfg.logger_class is settings["logger_class"]
    # Made without setup(): it would reconfigure this process's logging.
    theirs, ours = object.__new__(Logger), object.__new__(cfg.logger_class)
    theirs.cfg = ours.cfg = cfg
    with pytest.raises(AttributeError):
        theirs.access(None, None, {}, 0)  # gunicorn's own reads the response for its line whenever logging is set
    ours.access(None, None, {}, 0)  # reads nothing: AOCP writes the access line
