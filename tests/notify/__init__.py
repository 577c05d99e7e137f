"""Tests of cxos/notify: team channels, the notice outbox and its sender."""
