"""Fixes and loops on screen: fixes in flight, planning, each shipped fix's proof and its loop notices."""
