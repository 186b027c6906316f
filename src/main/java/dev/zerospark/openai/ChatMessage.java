package dev.zerospark.openai;

/** One chat message as {@code /v1/chat/completions} takes it: role ({@code system}, {@code user}, {@code assistant}) and text. */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (role == null || role.isBlank()) throw new IllegalArgumentException("chat message role is empty");
        if (content == null) throw new IllegalArgumentException("chat message content is null (role " + role + ")");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }
}
