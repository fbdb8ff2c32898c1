def test_health_endpoint_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] in ("sqlite", "postgresql")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
