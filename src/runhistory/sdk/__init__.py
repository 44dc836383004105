"""What users call: workspaces, experiments, runs and models."""
