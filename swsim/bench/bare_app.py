"""The HTTP baseline of ``swsim bench gateway``: a bare FastAPI endpoint that only parses the same body."""

from __future__ import annotations

import json
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/bare")
async def bare(request: Request) -> JSONResponse:
    doc = json.loads(await request.body())
    return JSONResponse({"ok": True, "keys": len(doc)}, status_code=202)


@app.get("/health")
async def health() -> JSONResponse:
    return JSONResponse({"status": "ok"})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
