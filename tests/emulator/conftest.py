from tests.emulator.fixtures import emulator  # noqa: F401
