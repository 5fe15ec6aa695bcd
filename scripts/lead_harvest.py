"""Harvest the answerer's read candidates for choosing how the lead sentence is picked (docs/evaluation.md,
"Which sentence leads"). For the seeds, ClapNQ and SQuAD's held-out articles, each indexed by the real
ingest: every question's best-ranked candidates (rank, reader logit, whether it holds the answer).

    python scripts/lead_harvest.py seeds,clapnq,squad /tmp/lead.jsonl
    python scripts/lead_sweep.py /tmp/lead.jsonl

It records what ``SentenceReading.read`` is given and returns (five candidates read instead of three).
"""

import json
import sys
from pathlib import Path

import numpy as np

import rag_service.answer.reading as rd
from rag_service.config import Settings
from rag_service.embedding.factory import make_embedder
from rag_service.evaluation.qa import corpus_pipeline
from rag_service.reader.data import heldout_qa
from rag_service.reader.indomain import Asked, clapnq_asked, seed_asked

settings = Settings()
embedder = make_embedder(settings)
cap = {}
orig = rd.SentenceReading.read


def read(self, question, rows, scores):
    out = orig(self, question, rows, scores)
    cap["v"] = (rows, scores, out, self)
    return out


rd.SentenceReading.read = read


def squad():
    files, held = heldout_qa(Path("../shared/benchmarks/squad2/dev-v2.0.json"))
    return files, [
        Asked(
            q.question,
            q.answerable,
            "squad:" + (q.gold[0] if q.gold else q.id),
            quotes=tuple(q.answers) if q.answerable else (),
        )
        for q in held
    ]


sets = {
    "clapnq": lambda: clapnq_asked(Path("../shared/benchmarks/clapnq")),
    "seeds": lambda: seed_asked(Path("eval/seeds.jsonl"), Path("/work/main/seeds")),
    "squad": squad,
}
out = open(sys.argv[2], "w")
for name in sys.argv[1].split(","):
    files, asked = sets[name]()
    with corpus_pipeline(files, settings, embedder, progress=False) as p:
        ans = p._state.answerer
        ans.reading.count = 5
        for q in asked:
            hits = p.retrieve(q.question)
            if not hits:
                continue
            cap.clear()
            ans.features(q.question, p.embedder.embed_query(q.question), hits)
            if "v" not in cap:
                continue
            rows, scores, logits, reading = cap["v"]
            order = [i for i in np.argsort(-scores, kind="stable") if np.isfinite(scores[i])][:8]
            cands = []
            for i in order:
                text = reading._sentences[rows[i]].text
                cands.append(
                    [
                        float(scores[i]),
                        float(logits[i]) if np.isfinite(logits[i]) else None,
                        int(q.answers(text)),
                        int(rows[i]),
                    ]
                )
            out.write(
                json.dumps(
                    {"set": name, "q": q.question, "group": q.group, "answerable": q.answerable, "c": cands}
                )
                + "\n"
            )
    print(name, "done", flush=True)
