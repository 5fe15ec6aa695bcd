"""Fine-tuning the reader: the packaged all-MiniLM-L6-v2 weights as a (question, sentence) cross-encoder.

The encoder reads the question and one sentence together; its token states are mean-pooled (the pooling
the checkpoint was trained with, so the head starts from meaningful features) and a linear head gives
one logit. All six layers train: the quick check of issue #31 found that training only the top layers
did not learn in twelve minutes.

The loss is SQuAD 2.0's own framing, listwise with a null answer: a question's candidate sentences and
a fixed "no answer" logit of 0 compete in one softmax; the target is the sentence holding the answer, or
the null for an unanswerable question. So a logit above 0 means "more likely this sentence than no answer
at all", the same scale on every collection, which is what the answerability gate needs. (A first run
with pointwise binary cross-entropy and a fresh classifier on the CLS pooler sat at the label prior for
500 batches: top-sentence accuracy 0.32 on held-out articles, answerable AUC 0.36.)

Batches hold whole questions of similar length (shuffled in groups, sorted inside a group), so padding
costs little on a CPU. Resumable: every ``CHECKPOINT_STEPS`` steps the weights, the optimiser, the
schedule and the step are written (to a temporary file, then renamed) to the state folder; the same
command continues from there with the same batch order (it depends only on ``SEED``). Nothing is
downloaded.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag_service.reader.data import Pair
from rag_service.reader.model import MAX_TOKENS, second_segment

SEED = 13
QUESTIONS_PER_BATCH = 4
LEARNING_RATE = 5e-5
HEAD_LEARNING_RATE = 1e-3
WARMUP_SHARE = 0.06
EPOCHS = 1
"""One pass: three (18 minutes) raised the held-out top-sentence figure 0.851 -> 0.864 and left the
answerable AUC at 0.756 against 0.755, and no downstream figure moved past its noise (docs/evaluation.md)."""
LENGTH_GROUP = 64
"""Batches whose questions are sorted by length together, before the batches themselves are shuffled."""
CHECKPOINT_STEPS = 100
INDOMAIN_EPOCHS = 2
INDOMAIN_LEARNING_RATE = 3e-5
"""The second stage (``reader.indomain``'s pairs, from the SQuAD-trained weights, about 300 questions).
Neither setting tried helps, so the shipped reader has no second stage (docs/evaluation.md): over all
five folds, two passes at 3e-5 raised the reader's own ClapNQ answerability AUC 0.78 -> 0.80 and left
the gate where it was (balanced 0.786 against 0.784); three at 1e-4 reached AUC 0.81 but the gate fell
to 0.765 and SQuAD's held-out AUC from 0.755 to 0.712 (it unlearnt SQuAD). These are the better two."""


def question_groups(pairs: Sequence[Pair]) -> list[list[int]]:
    """Indices of ``pairs`` by question (``squad_pairs`` writes a question's pairs together)."""
    groups: list[list[int]] = []
    for i, p in enumerate(pairs):
        if groups and (pairs[groups[-1][0]].question, pairs[groups[-1][0]].article) == (
            p.question,
            p.article,
        ):
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def batches(groups: Sequence[list[int]], lengths: Sequence[int], epochs: int = EPOCHS) -> list[list[int]]:
    """Group indices in batches of similar length, in an order fixed by ``SEED``."""
    rng = random.Random(SEED)
    order: list[int] = []
    for _ in range(epochs):
        epoch = list(range(len(groups)))
        rng.shuffle(epoch)
        order += epoch
    longest = [max(lengths[i] for i in g) for g in groups]
    planned: list[list[int]] = []
    span = QUESTIONS_PER_BATCH * LENGTH_GROUP
    for start in range(0, len(order), span):
        part = sorted(order[start : start + span], key=lambda g: longest[g])
        planned += [part[i : i + QUESTIONS_PER_BATCH] for i in range(0, len(part), QUESTIONS_PER_BATCH)]
    rng.shuffle(planned)
    return planned


def pair_scorer(model_path: str) -> Any:
    """The encoder with a mean-pooling, one-logit head (a ``torch.nn.Module``)."""
    import torch
    from transformers import AutoModel

    class PairScorer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(model_path)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)
            torch.nn.init.zeros_(self.head.bias)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(pooled).squeeze(-1)

    return PairScorer()


def _group_loss(logits: Any, labels: Sequence[int]) -> Any:
    """Listwise loss of one question: its sentences and the null answer (logit 0) in one softmax."""
    import torch

    scores = torch.cat([logits.new_zeros(1), logits])
    log_p = torch.log_softmax(scores, dim=0)
    positives = [i + 1 for i, label in enumerate(labels) if label]
    if not positives:
        return -log_p[0]
    return -torch.logsumexp(log_p[positives], dim=0)


def _atomic_save(state: dict[str, Any], path: Path) -> None:
    import torch

    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def fine_tune(
    model_path: str,
    pairs: Sequence[Pair],
    state_dir: Path,
    *,
    start: dict[str, Any] | None = None,
    checkpoint_name: str = "checkpoint.pt",
    epochs: int = EPOCHS,
    learning_rate: float = LEARNING_RATE,
) -> tuple[Any, Any]:
    """The fine-tuned scorer and its tokenizer, resumed from ``state_dir / checkpoint_name`` if a
    checkpoint is there; ``start``: weights to begin from (a first stage's) instead of the base model's."""
    import torch
    from tqdm import tqdm
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(SEED)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = pair_scorer(model_path)
    if start is not None:
        model.load_state_dict(start)
    firsts = [p.question for p in pairs]
    seconds = [second_segment(p.title, p.sentence) for p in pairs]
    encoded = tokenizer(firsts, seconds, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    groups = question_groups(pairs)
    plan = batches(groups, [len(ids) for ids in encoded], epochs)
    optimiser = torch.optim.AdamW(
        [
            {"params": model.encoder.parameters(), "lr": learning_rate},
            {"params": model.head.parameters(), "lr": HEAD_LEARNING_RATE * learning_rate / LEARNING_RATE},
        ],
        weight_decay=0.01,
    )
    schedule = get_linear_schedule_with_warmup(optimiser, int(WARMUP_SHARE * len(plan)), len(plan))
    state_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = state_dir / checkpoint_name
    step = 0
    if checkpoint.is_file():
        saved = torch.load(checkpoint, weights_only=False)
        if saved["steps"] != len(plan):
            raise SystemExit(f"{checkpoint} is of another training plan; remove {state_dir} to start over")
        model.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        schedule.load_state_dict(saved["schedule"])
        step = saved["step"]
        print(f"resuming at step {step} of {len(plan)}", flush=True)
    model.train()
    recent: list[float] = []
    bar = tqdm(total=len(plan), initial=step, desc="training the reader", unit="batch", mininterval=5)
    started = time.perf_counter()
    while step < len(plan):
        members = [groups[g] for g in plan[step]]
        flat = [i for group in members for i in group]
        inputs = tokenizer(
            [firsts[i] for i in flat],
            [seconds[i] for i in flat],
            truncation=True,
            max_length=MAX_TOKENS,
            padding=True,
            return_tensors="pt",
        )
        logits = model(**inputs)
        losses, at = [], 0
        for group in members:
            losses.append(_group_loss(logits[at : at + len(group)], [pairs[i].label for i in group]))
            at += len(group)
        loss = torch.stack(losses).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        step += 1
        recent = [*recent, loss.item()][-50:]
        bar.update(1)
        bar.set_postfix(loss=f"{sum(recent) / len(recent):.3f}", refresh=False)
        if step % CHECKPOINT_STEPS == 0 or step == len(plan):
            state = {"model": model.state_dict(), "optimiser": optimiser.state_dict()}
            state |= {"schedule": schedule.state_dict(), "step": step, "steps": len(plan)}
            _atomic_save(state, checkpoint)
    bar.close()
    print(f"trained {len(plan)} batches ({time.perf_counter() - started:.0f} s this run)", flush=True)
    model.eval()
    return model, tokenizer
