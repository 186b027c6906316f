package dev.zerospark.training.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.GradMode;
import dev.zerospark.testing.LocalSpark;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two concurrent barrier tasks in one local[2] JVM each run a DJL forward and backward pass with per-thread
 * grad mode (DJL's GradientCollector allows one per JVM), publish host:port through allGather, and swap
 * their gradients over TCP. Each must end with its own gradient and its peer's, matching the analytic values.
 */
class BarrierDjlSmokeTest {

    record RankResult(int rank, List<String> addresses, float[] ownGrad, float[] peerGrad) implements Serializable {}

    @Test
    void twoBarrierTasksTrainWithDjlAndExchangeOverTcp() {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(LocalSpark.session().sparkContext());
        List<RankResult> results = BarrierStage.run(sc, 2, ctx -> {
            int rank = ctx.partitionId();
            try (ServerSocket server = new ServerSocket()) {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                String me = "127.0.0.1:" + server.getLocalPort();
                List<String> all = Arrays.asList(ctx.allGather(me));
                float[] grad = gradient(rank);
                // Rank 0 dials rank 1; both send their gradient and read the other's.
                try (Socket s = rank == 0 ? connect(all.get(1)) : server.accept()) {
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    out.writeInt(grad.length);
                    for (float g : grad) out.writeFloat(g);
                    out.flush();
                    float[] peer = new float[in.readInt()];
                    for (int i = 0; i < peer.length; i++) peer[i] = in.readFloat();
                    return new RankResult(rank, all, grad, peer);
                }
            }
        });
        assertEquals(2, results.size());
        for (RankResult r : results) {
            assertEquals(2, r.addresses().size());
            assertArrayEquals(expectedGradient(r.rank()), r.ownGrad(), 1e-5f);
            assertArrayEquals(expectedGradient(1 - r.rank()), r.peerGrad(), 1e-5f);
        }
        assertEquals(results.get(0).addresses(), results.get(1).addresses());
    }

    private static Socket connect(String hostPort) throws java.io.IOException {
        String[] hp = hostPort.split(":");
        return new Socket(hp[0], Integer.parseInt(hp[1]));
    }

    /** d/dw of sum((x·w - y)^2) for a rank-specific x, y, with w = [1, 2, 3]. */
    private static float[] gradient(int rank) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            try (GradMode on = GradMode.on()) {
                NDArray w = manager.create(new float[] {1f, 2f, 3f});
                w.setRequiresGradient(true);
                NDArray x = manager.create(new float[] {1f + rank, 2f, -1f, 0.5f, 1f, 2f * rank}, new ai.djl.ndarray.types.Shape(2, 3));
                NDArray y = manager.create(new float[] {1f, -rank});
                NDArray loss = x.matMul(w.reshape(3, 1)).reshape(2).sub(y).square().sum();
                JniUtils.backward((PtNDArray) loss, (PtNDArray) manager.ones(loss.getShape()), false, false);
                return w.getGradient().toFloatArray();
            }
        }
    }

    private static float[] expectedGradient(int rank) {
        double[][] x = {{1 + rank, 2, -1}, {0.5, 1, 2 * rank}};
        double[] y = {1, -rank};
        double[] w = {1, 2, 3};
        float[] g = new float[3];
        for (int i = 0; i < 2; i++) {
            double r = x[i][0] * w[0] + x[i][1] * w[1] + x[i][2] * w[2] - y[i];
            for (int j = 0; j < 3; j++) g[j] += (float) (2 * r * x[i][j]);
        }
        return g;
    }
}
