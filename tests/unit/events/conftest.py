from __future__ import annotations

import pytest

from heimdall.events.log import EventLog
from heimdall.store.db import Base, make_engine, make_session_factory
from heimdall.store.tables.events import EventRow


@pytest.fixture
def session_factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'events.db'}")
    Base.metadata.create_all(engine, tables=[EventRow.__table__])
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def event_log(session_factory) -> EventLog:
    return EventLog(session_factory)
