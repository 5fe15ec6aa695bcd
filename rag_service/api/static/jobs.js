// The collection's queued ingest (RAG_STORE=postgres: `rag-service ingest --queue`, read and embedded by
// `rag-service worker`s), from /api/health's `ingest_job`: one line in the documents panel, refreshed
// every 3 s while the job runs and the panel is open. When the job ends the documents list is reloaded,
// since the version it wrote is the one questions are now answered from.
let jobTimer = null;
let jobRunning = false;

function describeJob(job) {
  const files = `${job.done} of ${job.files} file${job.files === 1 ? "" : "s"} done`;
  const rate = `${job.chunks} chunks, ${job.chunks_per_second.toFixed(1)} chunks/s`;
  const workers = `${job.workers} worker${job.workers === 1 ? "" : "s"} connected`;
  const failures = job.failures.length ? ` · failed: ${job.failures.map((f) => f.reason).join("; ")}` : "";
  if (job.state === "running") {
    const waiting = job.workers ? "" : " (start `rag-service worker` to process it)";
    return `Queued ingest ${job.job}: ${files}, ${job.pending} pending · ${rate} · ${workers}${waiting}${failures}`;
  }
  const end = job.state === "done" ? `done, version ${job.version}` : `failed: ${job.error}`;
  return `Queued ingest ${job.job} ${end}: ${files} · ${rate}${failures}`;
}

async function refreshJob() {
  const line = document.getElementById("ingest-job");
  clearTimeout(jobTimer);
  let job = null;
  try {
    const response = await apiFetch("/api/health");
    if (response.ok) job = (await response.json()).ingest_job;
  } catch { /* the documents list shows what is wrong with the server */ }
  line.hidden = !job;
  line.textContent = job ? describeJob(job) : "";
  const wasRunning = jobRunning;
  jobRunning = Boolean(job && job.state === "running");
  if (jobRunning && !document.getElementById("documents-panel").hidden) {
    jobTimer = setTimeout(refreshJob, 3000);
  } else if (wasRunning && job) {
    refreshDocuments();
  }
}
