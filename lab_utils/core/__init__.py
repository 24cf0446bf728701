"""The bottom layer: what every notebook and every other layer stands on.

paths     where the lab reads and writes (reports, run cache), atomic writes
progress  progress bars that a render can switch off
profiles  the smoke / quick / full convention and `knob` fields
session   notebook parameters: validation (one-line ParameterError), seeding, device, report folder
data      MNIST, CIFAR-10 and 1-D regression targets as preloaded tensors; minibatches, augmentation
params    flat parameter vectors: the only flatten / unflatten of a model's weights
train     the one training loop (`fit`), evaluation, full-batch convergence records, optimizer/schedule pieces
cache     results cached by a hash of their config (atomic, weights_only loads)
stats     intervals over seeds, correlations, and the three-way verdict rules
"""
