"""Uploaded prompt audio: a recorded question or phrase played with ``<Play>``.

Files are kept under ``<folder>/c<campaign>/`` (the settings' ``prompts_dir``:
``var/prompts`` under ``KAOPING_VAR_DIR``) and served at a public URL under
``PUBLIC_BASE_URL`` that Twilio fetches; they hold what every resident hears, nothing
personal. WAV and MP3 are accepted, checked by their first
bytes, not by the name.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from services.survey.models.telephony import Campaign
from services.survey.questionnaire_document import question_map
from services.survey.telephony.campaigns import get_campaign
from services.survey.telephony.ivr import PHRASES
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


def _campaign_folder(folder: Path, campaign_id: int) -> Path:
    return folder / f"c{campaign_id}"


def store_prompt(session: Session, campaign_id: int, key: str, content: bytes, *,
                 folder: Path, public_base_url: str) -> Campaign:
    """Keep the audio under ``folder`` and point the campaign's prompt ``key`` at its
    public URL (under ``public_base_url``).

    Raises NotFound for an unknown campaign, ValidationFailed for an unknown key or audio
    that is not WAV or MP3.
    """
    campaign = get_campaign(session, campaign_id)
    if key not in prompt_keys(campaign):
        raise ValidationFailed("Unknown prompt", {"key": [
            "a question id of the questionnaire or one of " + ", ".join(sorted(PHRASES["zh-CN"]))]})
    suffix = _kind(content)
    if suffix is None:
        raise ValidationFailed("Not audio", {"file": ["WAV or MP3 audio is needed"]})
    target = _campaign_folder(folder, campaign.id)
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob(f"{key}.*"):
        old.unlink()
    (target / f"{key}{suffix}").write_bytes(content)
    public_url = (f"{public_base_url.rstrip('/')}/api/v1/telephony/campaigns/{campaign.id}"
                  f"/prompts/{key}")
    campaign.prompts = {**(campaign.prompts or {}), key: public_url}
    session.flush()
    return campaign


def prompt_file(folder: Path, campaign_id: int, key: str) -> tuple[Path, str]:
    """The stored file of a prompt under ``folder`` and its media type; NotFound when
    there is none."""
    for suffix, mimetype in KINDS.items():
        path = _campaign_folder(folder, campaign_id) / f"{key}{suffix}"
        if key.replace("_", "").isalnum() and path.is_file():
            return path, mimetype
    raise NotFound(f"No prompt {key!r} for campaign {campaign_id}")
