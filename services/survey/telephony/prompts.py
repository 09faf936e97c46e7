"""Uploaded prompt audio: a recorded question or phrase played with ``<Play>``.

Files are kept under ``var/prompts/<campaign>/`` (``KAOPING_VAR_DIR``) and served at
a public URL under ``PUBLIC_BASE_URL`` that Twilio fetches; they hold what every
resident hears, nothing personal. WAV and MP3 are accepted, checked by their first
bytes, not by the name.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from services.survey.models.telephony import Campaign
from services.survey.questionnaires import question_map
from services.survey.telephony.ivr import PHRASES
from shared.config import var_dir
from shared.errors import NotFound, ValidationFailed

KINDS = {".wav": "audio/wav", ".mp3": "audio/mpeg"}


def prompt_keys(campaign: Campaign) -> set[str]:
    """Question ids of the poll's questionnaire and the IVR's fixed phrases."""
    return set(question_map(campaign.poll.questionnaire.document)) | set(PHRASES["zh-CN"])


def _kind(content: bytes) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WAVE":
        return ".wav"
    if content[:3] == b"ID3" or (len(content) > 1 and content[0] == 0xFF
                                 and content[1] & 0xE0 == 0xE0):
        return ".mp3"
    return None


def folder(campaign_id: int) -> Path:
    return var_dir() / "prompts" / f"c{campaign_id}"


def store_prompt(session: Session, campaign: Campaign, key: str, content: bytes,
                 public_url: str) -> Campaign:
    """Keep the audio and point the campaign's prompt ``key`` at it.

    Raises ValidationFailed for an unknown key or audio that is not WAV or MP3.
    """
    if key not in prompt_keys(campaign):
        raise ValidationFailed("Unknown prompt", {"key": [
            "a question id of the questionnaire or one of " + ", ".join(sorted(PHRASES["zh-CN"]))]})
    suffix = _kind(content)
    if suffix is None:
        raise ValidationFailed("Not audio", {"file": ["WAV or MP3 audio is needed"]})
    target = folder(campaign.id)
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob(f"{key}.*"):
        old.unlink()
    (target / f"{key}{suffix}").write_bytes(content)
    campaign.prompts = {**(campaign.prompts or {}), key: public_url}
    session.flush()
    return campaign


def prompt_file(campaign_id: int, key: str) -> tuple[Path, str]:
    """The stored file of a prompt and its media type; NotFound when there is none."""
    for suffix, mimetype in KINDS.items():
        path = folder(campaign_id) / f"{key}{suffix}"
        if key.replace("_", "").isalnum() and path.is_file():
            return path, mimetype
    raise NotFound(f"No prompt {key!r} for campaign {campaign_id}")
