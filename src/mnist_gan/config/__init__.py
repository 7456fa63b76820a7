"""The configuration: composing it outside Hydra, its resolvers, the knob declarations'
reader and the one early check of a composed config. Torch-free."""
