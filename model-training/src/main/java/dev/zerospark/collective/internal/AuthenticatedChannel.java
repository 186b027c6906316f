package dev.zerospark.collective.internal;

import java.nio.channels.SocketChannel;

/** A connection whose handshake succeeded, with the key its frames are authenticated with. */
record AuthenticatedChannel(SocketChannel channel, byte[] frameKey) {}
