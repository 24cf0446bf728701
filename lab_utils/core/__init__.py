"""The bottom layer: what every notebook and every other layer stands on.

paths     where the lab reads and writes (reports, run cache), atomic writes
progress  progress bars that a render can switch off
profiles  the smoke / quick / full convention and `knob` fields
session   notebook parameters: validation (one-line ParameterError), seeding, device, report folder
data      MNIST, CIFAR-10 and 1-D regression targets as preloaded tensors; minibatches, augmentation
params    flat parameter vectors: the only flatten / unflatten of a model's weights
train     the one training loop (`fit`), evaluation, full-batch convergence records, optimizer/schedule pieces
layout    the memory format a conv net trains and evaluates in (channels_last where it is faster)
code      digests of the code a result depends on (a module and every lab_utils module it imports)
cache     results cached by a hash of their config and their code (atomic, weights_only loads)
notice    notices for the render's log (a recomputed cache entry), never for a chapter
stats     means, quantiles, intervals over seeds (t, Wilson, Fisher z), correlations, the verdict rules
"""
