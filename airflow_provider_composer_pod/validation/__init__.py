"""Autopilot's and Composer's rules for pods, checked at parse time, before the create and from the CLI."""
