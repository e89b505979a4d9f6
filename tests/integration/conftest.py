"""Shared fixtures: one vellumd per test module, a fresh client per test."""
import pytest

from vellum_harness import Vellumd, Waiters, blocked_clients, wait_for


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


@pytest.fixture
def waiters(server, c):
    """Raw connections for blocked clients (vellum_harness.Waiters), closed at the end."""
    # clients left blocked by an earlier test go away when their sockets close
    assert wait_for(lambda: blocked_clients(c) == 0, 5)
    w = Waiters(server, c)
    yield w
    w.close_all()
