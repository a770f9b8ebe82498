"""Query API routers (SPEC §6)."""

from fastapi import APIRouter

router = APIRouter()
