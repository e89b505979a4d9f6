"""Shared fixtures: one vellumd per test module, a fresh client per test."""
import pytest

from vellum_harness import Vellumd


@pytest.fixture(scope="module")
def server():
    s = Vellumd()
    s.start()
    yield s
    s.cleanup()


@pytest.fixture
def r(server):
    c = server.client()
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def rd(server):
    """A client that decodes replies to str."""
    c = server.client(decode_responses=True)
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def c(server):
    """A bytes client with redis-py's response callbacks removed, on an empty keyspace."""
    cl = server.client()
    cl.response_callbacks.clear()
    cl.execute_command("FLUSHALL")
    yield cl
    cl.close()
