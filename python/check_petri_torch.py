"""Checks petri_torch against Petri: for each MODEL.safetensors in DIR with a MODEL.json of
inputs and Petri's logits (written by the native test tests/export.rs), the PyTorch logits must
equal Petri's to 1e-4. Exits non-zero on any difference."""

import json
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import petri_torch  # noqa: E402


def main(folder):
    failures = 0
    cases = sorted(pathlib.Path(folder).glob("*.json"))
    if not cases:
        print(f"no cases in {folder}")
        return 1
    for case in cases:
        expected = json.loads(case.read_text())
        model = petri_torch.load(str(case.with_suffix(".safetensors")))
        inputs = expected["inputs"]
        x = torch.tensor(inputs["values"], dtype=torch.float32).reshape(inputs["shape"])
        with torch.no_grad():
            if model.family in ("cnn1d", "rnn", "transformer"):
                logits = model(x, torch.tensor(inputs["lengths"]))
            elif model.family == "gnn" and model.kind == "Graph":
                logits = model(x, torch.tensor(inputs["edges"]),
                               torch.tensor(inputs["node_graph"]), inputs["graphs"],
                               torch.tensor(inputs["bonds"]))
            elif model.family == "gnn":
                logits = model(x, torch.tensor(inputs["edges"]))[torch.tensor(inputs["targets"])]
            else:
                logits = model(x)
        want = torch.tensor(expected["logits"], dtype=torch.float32).reshape(-1, len(model.classes))
        difference = (logits - want).abs().max().item()
        bound = 1e-4 * (1 + want.abs().max().item())
        ok = logits.shape == want.shape and difference <= bound
        failures += not ok
        print(f"{case.stem}: {model.family} {tuple(logits.shape)}, largest difference "
              f"{difference:.2e} {'ok' if ok else 'FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
