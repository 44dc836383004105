"""Stores: where runs, metrics, logs and artifact records live (see ``base.Store``)."""
