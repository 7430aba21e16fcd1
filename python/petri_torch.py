"""Use a model trained in Petri from PyTorch.

    import petri_torch
    model = petri_torch.load("petri-shapes-cnn-step-300.safetensors")  # from Export model
    logits = model(images)             # images: [N, C, H, W], values 0-1, Petri's size
    model.classes[logits.argmax(1)[0]]

A model of a measured target (regression) has one output, returned in the target's units
(`model.measured` holds the training targets' mean and std; `model.classes[0]` its name).

The file is what Petri's **Export model** downloads: the weights as safetensors with PyTorch's
names and layouts, and a description in the metadata (architecture, classes, input shape and
the standardisation the model expects). `load` rebuilds the network with plain torch ops, in
eval mode; `forward` takes the data as they are (not standardised) and returns logits (or,
for a measured target, values):

- CNN:              forward(images)            images [N, C, H, W], 0-1
- MLP:              forward(rows)              rows [N, F], the upload's feature columns in order
- RNN, 1-D CNN,
  Transformer:      forward(seqs, lengths)     seqs [N, T, C] (one-hot for DNA/protein: one
                                               channel per letter of .alphabet), zero-padded
                                               after each sequence's length; lengths [N]
                                               (None: every sequence is T long)
- GNN, graphs:      forward(x, edges, node_graph, graphs, bonds)   x [nodes, F]; edges [E, 2]
                                               (undirected, each edge once); node_graph [nodes]:
                                               each node's graph; bonds [E] (GINE: 1 single,
                                               2 double, 3 triple, 4 aromatic, 0 or None
                                               untyped); returns [graphs, classes]
- GNN, nodes:       forward(x, edges)          returns [nodes, classes], every node

Depends on torch and safetensors only.
"""

import json

import torch
import torch.nn.functional as F
from safetensors import safe_open
from torch import nn

__all__ = ["load", "PetriModel"]

_EPSILON = 1e-5  # Burn's batch-norm default


def load(path):
    """The model in Petri's model file `path`, in eval mode, on the CPU."""
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    if "petri" not in metadata:
        raise ValueError(f"{path} is not a Petri model file: it has no 'petri' description")
    description = json.loads(metadata["petri"])
    if description.get("format") != "petri-model":
        raise ValueError(f"{path} is not a Petri model file")
    if description.get("version", 0) > 1:
        raise ValueError(
            f"{path} was written by a newer Petri (format {description['version']}); "
            "update petri_torch.py"
        )
    model = PetriModel(description)
    model.network.load_state_dict(tensors, strict=True)
    return model.eval()


def _activation(name):
    return {"relu": F.relu, "gelu": F.gelu, "tanh": torch.tanh}[name]


def _same_padding(kernel):
    total = kernel - 1
    return total // 2, total - total // 2


class PetriModel(nn.Module):
    """A Petri model: standardises its inputs as Petri did, then runs the network."""

    def __init__(self, description):
        super().__init__()
        self.description = description
        self.classes = list(description["classes"])
        self.features = list(description.get("features") or [])
        self.alphabet = description.get("alphabet")
        ((family, config),) = description["model"].items()
        ((kind, shape),) = description["input"].items()
        self.family, self.kind, self.shape = family, kind, shape
        # A measured target: the network's one output is standardised; forward restores it.
        self.measured = description.get("measured")
        stats = description.get("standardize") or []
        self.register_buffer("mean", torch.tensor([m for m, _ in stats], dtype=torch.float32))
        self.register_buffer("std", torch.tensor([s for _, s in stats], dtype=torch.float32))
        classes = len(self.classes)
        if family == "cnn":
            self.network = _Cnn(config, shape, classes)
        elif family == "mlp":
            self.network = _Mlp(config, shape["features"], classes)
        elif family == "cnn1d":
            self.network = _Cnn1d(config, shape["channels"], classes)
        elif family == "rnn":
            self.network = _Rnn(config, shape["channels"], classes)
        elif family == "transformer":
            self.network = _Transformer(config, shape["channels"], shape["max_length"], classes)
        elif family == "gnn":
            self.network = _Gnn(config, shape["features"], classes, graphs=kind == "Graph")
        else:
            raise ValueError(f"unknown model family {family}")

    def _standardise(self, x, lengths=None):
        if self.mean.numel() == 0:
            return x
        if self.kind == "Table":
            return (x - self.mean) / self.std
        x = (x - self.mean[0]) / self.std[0]
        if self.kind == "Sequence" and lengths is not None:
            # Padding stays zero: only real positions are standardised.
            positions = torch.arange(x.shape[1], device=x.device)
            x = x * (positions[None, :] < lengths[:, None]).unsqueeze(-1).to(x.dtype)
        return x

    def forward(self, x, *args):
        out = self._outputs(x.float(), *args)
        if self.measured:
            return out * self.measured["std"] + self.measured["mean"]
        return out

    def _outputs(self, x, *args):
        if self.family in ("cnn", "mlp"):
            return self.network(self._standardise(x))
        if self.family in ("cnn1d", "rnn", "transformer"):
            lengths = args[0] if args and args[0] is not None else None
            if lengths is None:
                lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.long)
            lengths = torch.as_tensor(lengths, dtype=torch.long)
            return self.network(self._standardise(x, lengths), lengths)
        return self.network(self._standardise(x), *args)


class _BatchNorm(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x):
        view = (1, -1) + (1,) * (x.dim() - 2)
        scale = self.weight / torch.sqrt(self.running_var + _EPSILON)
        return (x - self.running_mean.view(view)) * scale.view(view) + self.bias.view(view)


class _Cnn(nn.Module):
    def __init__(self, config, shape, classes):
        super().__init__()
        channels, height, width = shape["channels"], shape["height"], shape["width"]
        self.same = config["padding"] == "same"
        self.activation = _activation(config["activation"])
        self.pool = [block["pool"] for block in config["blocks"]]
        self.kernels = [block["kernel"] for block in config["blocks"]]
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for block in config["blocks"]:
            k = block["kernel"]
            self.convs.append(nn.Conv2d(channels, block["channels"], k))
            if config["batch_norm"]:
                self.norms.append(_BatchNorm(block["channels"]))
            if not self.same:
                height, width = height - k + 1, width - k + 1
            if block["pool"]:
                height, width = height // 2, width // 2
            channels = block["channels"]
        self.head = nn.Linear(channels * height * width, classes)

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            if self.same:
                start, end = _same_padding(self.kernels[i])
                x = F.pad(x, (start, end, start, end))
            x = conv(x)
            if len(self.norms) > i:
                x = self.norms[i](x)
            x = self.activation(x)
            if self.pool[i]:
                x = F.max_pool2d(x, 2)
        return self.head(x.flatten(1))


class _Mlp(nn.Module):
    def __init__(self, config, features, classes):
        super().__init__()
        self.activation = _activation(config["activation"])
        self.hidden = nn.ModuleList()
        width = features
        for out in config["hidden"]:
            self.hidden.append(nn.Linear(width, out))
            width = out
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        for layer in self.hidden:
            x = self.activation(layer(x))
        return self.head(x)


def _real(lengths, time, device):
    """[N, 1, time]: 1 on each sequence's real positions, 0 on its padding."""
    positions = torch.arange(time, device=device)
    return (positions[None, :] < lengths[:, None]).unsqueeze(1).float()


class _Cnn1d(nn.Module):
    def __init__(self, config, channels, classes):
        super().__init__()
        self.activation = _activation(config["activation"])
        self.pool = [block["pool"] for block in config["blocks"]]
        self.kernels = [block["kernel"] for block in config["blocks"]]
        self.convs = nn.ModuleList()
        for block in config["blocks"]:
            self.convs.append(nn.Conv1d(channels, block["channels"], block["kernel"]))
            channels = block["channels"]
        self.head = nn.Linear(channels, classes)

    def forward(self, x, lengths):
        x = x.transpose(1, 2)  # [N, C, T]
        lengths = lengths.clone()
        for i, conv in enumerate(self.convs):
            x = self.activation(conv(F.pad(x, _same_padding(self.kernels[i]))))
            x = x * _real(lengths, x.shape[2], x.device)
            if self.pool[i]:
                x = F.max_pool1d(x, 2)
                lengths = torch.clamp(lengths // 2, min=1)
                x = x * _real(lengths, x.shape[2], x.device)
        # Padding must not win the max over time.
        x = x + (1.0 - _real(lengths, x.shape[2], x.device)) * -1e9
        return self.head(x.max(dim=2).values)


def _sinusoids(tokens, width):
    """[tokens, width]: pe[n, 2i] = sin(n / 10000^(2i/d)), pe[n, 2i+1] = cos(...)."""
    pe = torch.zeros(tokens, width, dtype=torch.float64)
    n = torch.arange(tokens, dtype=torch.float64)[:, None]
    i = torch.arange(width // 2, dtype=torch.float64)[None, :]
    angle = n / torch.pow(10000.0, 2.0 * i / width)
    pe[:, 0 : 2 * (width // 2) : 2] = torch.sin(angle)
    pe[:, 1 : 2 * (width // 2) : 2] = torch.cos(angle)
    return pe.float()


class _Attention(nn.Module):
    """Burn's MultiHeadAttention: padding keys scored -1e4 before the softmax."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        self.value = nn.Linear(width, width)
        self.output = nn.Linear(width, width)

    def forward(self, x, padding):
        n, t, d = x.shape
        h = self.heads

        def split(values):
            return values.reshape(n, t, h, d // h).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(2, 3) / (d // h) ** 0.5
        scores = scores.masked_fill(padding[:, None, None, :], -1.0e4)
        context = torch.softmax(scores, dim=3) @ v
        return self.output(context.transpose(1, 2).reshape(n, t, d))


class _EncoderLayer(nn.Module):
    def __init__(self, width, heads, feed_forward, pre_norm):
        super().__init__()
        self.pre_norm = pre_norm
        self.attention = _Attention(width, heads)
        self.attention_norm = nn.LayerNorm(width, eps=_EPSILON)
        self.expand = nn.Linear(width, feed_forward)
        self.contract = nn.Linear(feed_forward, width)
        self.feed_forward_norm = nn.LayerNorm(width, eps=_EPSILON)

    def _feed_forward(self, x):
        return self.contract(F.gelu(self.expand(x)))

    def forward(self, x, padding):
        if self.pre_norm:
            x = x + self.attention(self.attention_norm(x), padding)
            return x + self._feed_forward(self.feed_forward_norm(x))
        x = self.attention_norm(x + self.attention(x, padding))
        return self.feed_forward_norm(x + self._feed_forward(x))


class _Transformer(nn.Module):
    def __init__(self, config, channels, max_length, classes):
        super().__init__()
        width = config["width"]
        self.kmer, self.stride = config["kmer"], config["stride"]
        self.width = width
        self.embed = nn.Linear(self.kmer * channels, width)
        tokens = -(-max(max_length, 1) // self.stride)
        self.positions = (
            nn.Parameter(torch.zeros(tokens, width)) if config["positions"] == "learned" else None
        )
        self.class_token = (
            nn.Parameter(torch.zeros(1, width)) if config["pooling"] == "class-token" else None
        )
        self.layers = nn.ModuleList(
            _EncoderLayer(width, config["heads"], config["feed_forward"], config["pre_norm"])
            for _ in range(config["layers"])
        )
        self.norm = nn.LayerNorm(width, eps=_EPSILON) if config["pre_norm"] else None
        self.head = nn.Linear(width, classes)

    def forward(self, x, lengths):
        n, time, channels = x.shape
        k, s, d = self.kmer, self.stride, self.width
        tokens = max(-(-time // s), 1)
        # Zero after each sequence's end; token t reads positions t*s .. t*s + k.
        x = x * (torch.arange(time, device=x.device)[None, :] < lengths[:, None])[..., None]
        x = F.pad(x, (0, 0, 0, (tokens - 1) * s + k - time))
        x = x.unfold(1, k, s)[:, :tokens]  # [n, tokens, channels, k]
        x = self.embed(x.transpose(2, 3).reshape(n, tokens, k * channels)) * d**0.5
        if self.positions is None:
            positions = _sinusoids(tokens, d).to(x.device)
        else:
            positions = self.positions[:tokens]
            if tokens > positions.shape[0]:
                extra = torch.zeros(tokens - positions.shape[0], d, device=x.device)
                positions = torch.cat([positions, extra])
        x = x + positions
        real = torch.div(torch.clamp(lengths, 1, time) + s - 1, s, rounding_mode="floor")
        padding = torch.arange(tokens, device=x.device)[None, :] >= real[:, None]
        if self.class_token is not None:
            x = torch.cat([self.class_token.expand(n, 1, d), x], dim=1)
            padding = torch.cat([torch.zeros(n, 1, dtype=torch.bool, device=x.device), padding], 1)
        for layer in self.layers:
            x = layer(x, padding)
        if self.norm is not None:
            x = self.norm(x)
        if self.class_token is not None:
            return self.head(x[:, 0])
        kept = (~padding).unsqueeze(-1).float()
        return self.head((x * kept).sum(1) / real[:, None].float())


class _Gate(nn.Module):
    def __init__(self, inputs, hidden):
        super().__init__()
        self.input_transform = nn.Linear(inputs, hidden)
        self.hidden_transform = nn.Linear(hidden, hidden)

    def forward(self, x, h):
        return self.input_transform(x) + self.hidden_transform(h)


class _Gru(nn.Module):
    def __init__(self, inputs, hidden):
        super().__init__()
        self.hidden = hidden
        self.update_gate = _Gate(inputs, hidden)
        self.reset_gate = _Gate(inputs, hidden)
        self.new_gate = _Gate(inputs, hidden)

    def forward(self, x):
        h = x.new_zeros(x.shape[0], self.hidden)
        outputs = []
        for t in range(x.shape[1]):
            xt = x[:, t]
            z = torch.sigmoid(self.update_gate(xt, h))
            r = torch.sigmoid(self.reset_gate(xt, h))
            n = torch.tanh(
                self.new_gate.input_transform(xt) + r * self.new_gate.hidden_transform(h)
            )
            h = (1 - z) * n + z * h
            outputs.append(h)
        return torch.stack(outputs, 1)


class _Lstm(nn.Module):
    def __init__(self, inputs, hidden):
        super().__init__()
        self.hidden = hidden
        self.input_gate = _Gate(inputs, hidden)
        self.forget_gate = _Gate(inputs, hidden)
        self.output_gate = _Gate(inputs, hidden)
        self.cell_gate = _Gate(inputs, hidden)

    def forward(self, x):
        h = x.new_zeros(x.shape[0], self.hidden)
        c = x.new_zeros(x.shape[0], self.hidden)
        outputs = []
        for t in range(x.shape[1]):
            xt = x[:, t]
            i = torch.sigmoid(self.input_gate(xt, h))
            f = torch.sigmoid(self.forget_gate(xt, h))
            o = torch.sigmoid(self.output_gate(xt, h))
            g = torch.tanh(self.cell_gate(xt, h))
            c = f * c + i * g
            h = o * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs, 1)


class _Rnn(nn.Module):
    def __init__(self, config, channels, classes):
        super().__init__()
        self.hidden = config["hidden"]
        self.mean = config["pooling"] == "mean"
        cell = {"gru": _Gru, "lstm": _Lstm}[config["cell"]]
        directions = 2 if config["bidirectional"] else 1
        ahead, behind = nn.ModuleList(), nn.ModuleList()
        inputs = channels
        for _ in range(config["layers"]):
            ahead.append(cell(inputs, self.hidden))
            if directions == 2:
                behind.append(cell(inputs, self.hidden))
            inputs = self.hidden * directions
        # Burn's names: `forward.0…`, `backward.0…` (`forward` is also nn.Module's method, so
        # the list is registered without becoming an attribute).
        self._modules["forward"] = ahead
        self._modules["backward"] = behind
        self.head = nn.Linear(inputs, classes)

    def forward(self, x, lengths):
        batch, time, _ = x.shape
        lengths = lengths.clamp(1, time)
        positions = torch.arange(time)
        # Reverses each sequence within its own length (padding stays in place).
        source = torch.where(
            positions[None, :] < lengths[:, None], lengths[:, None] - 1 - positions[None, :],
            positions[None, :].expand(batch, time),
        )

        def reverse(values):
            return torch.gather(values, 1, source.unsqueeze(-1).expand_as(values))

        ahead, behind = self._modules["forward"], self._modules["backward"]
        for layer, cell in enumerate(ahead):
            forward_out = cell(x)
            if len(behind) > layer:
                x = torch.cat([forward_out, reverse(behind[layer](reverse(x)))], 2)
            else:
                x = forward_out
        rows = torch.arange(batch)
        if self.mean:
            mask = (positions[None, :] < lengths[:, None]).float() / lengths[:, None].float()
            pooled = (x * mask.unsqueeze(-1)).sum(1)
        elif len(behind) == 0:
            pooled = x[rows, lengths - 1]
        else:
            h = self.hidden
            pooled = torch.cat([x[rows, lengths - 1, :h], x[:, 0, h : 2 * h]], 1)
        return self.head(pooled)


_EDGE_TYPES = 5  # single, double, triple, aromatic, untyped


class _GnnLayer(nn.Module):
    def __init__(self, inputs, hidden, gin, gine, gat):
        super().__init__()
        self.linear = nn.Linear(inputs, hidden)
        self.mlp_out = nn.Linear(hidden, hidden) if gin or gine else None
        self.bond = nn.Linear(_EDGE_TYPES, inputs) if gine else None
        # GAT: column 0 scores the receiver, column 1 the sender.
        self.attend = nn.Linear(hidden, 2, bias=False) if gat else None


class _Gnn(nn.Module):
    def __init__(self, config, features, classes, graphs):
        super().__init__()
        self.gin = config["kind"] in ("gin", "gine")
        self.gine = config["kind"] == "gine"
        self.gat = config["kind"] == "gat"
        self.readout = config["readout"]
        self.graph_task = graphs
        self.activation = _activation(config["activation"])
        self.layers = nn.ModuleList()
        inputs = features
        for _ in range(config["layers"]):
            self.layers.append(
                _GnnLayer(inputs, config["hidden"], self.gin, self.gine, self.gat)
            )
            inputs = config["hidden"]
        self.head = nn.Linear(inputs, classes)

    def _propagation(self, nodes, edges):
        edges = torch.as_tensor(edges, dtype=torch.long).reshape(-1, 2)
        senders = torch.cat([edges[:, 0], edges[:, 1]])
        receivers = torch.cat([edges[:, 1], edges[:, 0]])
        if self.gin:
            return senders, receivers, torch.ones(len(senders))
        loops = torch.arange(nodes)
        senders, receivers = torch.cat([senders, loops]), torch.cat([receivers, loops])
        if self.gat:
            return senders, receivers, torch.ones(len(senders))
        degree = torch.zeros(nodes).index_add_(0, receivers, torch.ones(len(receivers)))
        return senders, receivers, 1.0 / torch.sqrt(degree[senders] * degree[receivers])

    def forward(self, x, edges, node_graph=None, graphs=None, bonds=None):
        nodes = x.shape[0]
        senders, receivers, weights = self._propagation(nodes, edges)
        edge_count = len(senders) // 2
        if bonds is None:
            bonds = torch.zeros(edge_count, dtype=torch.long)
        bonds = torch.as_tensor(bonds, dtype=torch.long).reshape(-1)
        slots = torch.where((bonds >= 1) & (bonds <= 4), bonds - 1, _EDGE_TYPES - 1)
        edge_types = F.one_hot(torch.cat([slots, slots]), _EDGE_TYPES).to(x.dtype)

        def propagate(values):
            messages = values[senders] * weights[:, None]
            return values.new_zeros(values.shape).index_add_(0, receivers, messages)

        def attention(h, attend):
            scores = attend(h)
            e = F.leaky_relu(scores[receivers, 0] + scores[senders, 1], 0.2)
            top = e.new_full((nodes,), -1e30).scatter_reduce(0, receivers, e, reduce="amax")
            w = torch.exp(e - top[receivers])
            return w / w.new_zeros(nodes).index_add_(0, receivers, w)[receivers]

        for layer in self.layers:
            if layer.attend is not None:
                h = x @ layer.linear.weight.T
                alpha = attention(h, layer.attend)
                x = h.new_zeros(h.shape).index_add_(0, receivers, h[senders] * alpha[:, None])
                x = x + layer.linear.bias
            elif layer.bond is not None:
                messages = F.relu(x[senders] + layer.bond(edge_types))
                summed = x + x.new_zeros(x.shape).index_add_(0, receivers, messages)
                x = layer.mlp_out(self.activation(layer.linear(summed)))
            elif layer.mlp_out is None:
                x = propagate(x @ layer.linear.weight.T) + layer.linear.bias
            else:
                x = layer.mlp_out(self.activation(layer.linear(x + propagate(x))))
            x = self.activation(x)
        if not self.graph_task:
            return self.head(x)
        node_graph = torch.as_tensor(node_graph, dtype=torch.long)
        if graphs is None:
            graphs = int(node_graph.max()) + 1 if nodes else 0
        width = x.shape[1]
        if self.readout == "max":
            pooled = x.new_full((graphs, width), -1e9)
            pooled = pooled.scatter_reduce(
                0, node_graph[:, None].expand(-1, width), x, reduce="amax", include_self=True
            )
        else:
            pooled = x.new_zeros(graphs, width).index_add_(0, node_graph, x)
            if self.readout == "mean":
                counts = torch.zeros(graphs).index_add_(0, node_graph, torch.ones(nodes))
                pooled = pooled / counts.clamp(min=1)[:, None]
        return self.head(pooled)
