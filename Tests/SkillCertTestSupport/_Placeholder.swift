enum _PlaceholderSkillCertTestSupport {}
