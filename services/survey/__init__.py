"""survey: telephone and questionnaire polls, weighted township estimates."""
