"""The outbound fixtures serve the customs tests too."""

from tests.integration.outbound.conftest import ready  # noqa: F401
