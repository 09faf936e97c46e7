import time
def test_doc(runs_client, auth, midyear):
    rid = midyear["id"]
    h = auth("planner")
    r = runs_client.post("/api/v1/documents", json={"kind": "midyear", "run_id": rid}, headers=h)
    assert r.status_code == 409, r.json
    print(r.json)
    runs_client.post(f"/api/v1/runs/{rid}/publish", headers=h)
    t = time.time()
    r = runs_client.post("/api/v1/documents", json={"kind": "midyear", "period": "2026-H1"}, headers=h)
    print("time", time.time() - t)
    assert r.status_code == 201, r.json
    print(r.json)
    pdf = runs_client.get(f"/api/v1/documents/{r.json['id']}/pdf", headers=h).data
    open("/tmp/i16scratch/mid.pdf", "wb").write(pdf)
    v = runs_client.post(f"/api/v1/documents/{r.json['id']}/verify", headers=h).json
    print(v)
