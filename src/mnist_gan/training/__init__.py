"""The GAN LightningModule and the pure pieces of its training step: losses, penalties,
the moving average of G, schedules."""
