package dev.zerospark.serve;

import dev.zerospark.openai.ChatMessage;
import java.util.List;
import java.util.Locale;

/**
 * How {@code /v1/chat/completions} turns messages into one prompt for a base or fine-tuned model without a chat
 * template: each message on its own line as {@code Role: content} ({@code System}, {@code User},
 * {@code Assistant}), then {@code Assistant:} for the model to continue. Generation also stops at a new
 * {@code \nUser:} line, so the model does not write the user's next turn.
 */
public final class ChatPrompt {
    /** Added to the request's own stop strings. */
    public static final String TURN_STOP = "\nUser:";

    private ChatPrompt() {}

    public static String render(List<ChatMessage> messages) {
        StringBuilder b = new StringBuilder();
        for (ChatMessage m : messages) {
            String role = m.role().toLowerCase(Locale.ROOT);
            b.append(Character.toUpperCase(role.charAt(0))).append(role.substring(1)).append(": ").append(m.content()).append('\n');
        }
        return b.append("Assistant:").toString();
    }
}
