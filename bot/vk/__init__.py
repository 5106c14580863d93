"""VK channel on vk_api: Bots Long Poll events → neutral inputs, neutral replies → messages.send."""
