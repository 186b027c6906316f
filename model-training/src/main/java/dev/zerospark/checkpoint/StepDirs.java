package dev.zerospark.checkpoint;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The step directories of a checkpoint root: {@code step-<N>}, named and listed in one place. */
final class StepDirs {
    private static final Logger LOG = LoggerFactory.getLogger(StepDirs.class);
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");

    private StepDirs() {}

    /** The step of a directory name {@code step-<N>}; empty when it isn't one or N overflows a long. */
    static OptionalLong parse(String dirName) {
        Matcher m = STEP_DIR.matcher(dirName);
        if (!m.matches()) return OptionalLong.empty();
        try {
            return OptionalLong.of(Long.parseLong(m.group(1)));
        } catch (NumberFormatException e) { // more digits than a long holds: not a step this code wrote
            return OptionalLong.empty();
        }
    }

    /** Step numbers of the step directories under {@code root}, oldest first; with {@code completeOnly}, those with a manifest. */
    static List<Long> list(String root, Configuration conf, boolean completeOnly) {
        List<Long> steps = new ArrayList<>();
        try {
            Path rootPath = new Path(root);
            FileSystem fs = rootPath.getFileSystem(conf);
            if (!fs.exists(rootPath)) return steps;
            for (FileStatus st : fs.listStatus(rootPath)) {
                if (!st.isDirectory()) continue;
                OptionalLong step = parse(st.getPath().getName());
                if (step.isEmpty()) {
                    if (st.getPath().getName().startsWith("step-")) {
                        LOG.warn("ignoring {}: its step number does not parse", st.getPath());
                    }
                    continue;
                }
                if (!completeOnly || fs.exists(new Path(st.getPath(), CheckpointStore.MANIFEST))) steps.add(step.getAsLong());
            }
        } catch (IOException e) {
            throw CheckpointException.io("list", root, e);
        }
        steps.sort(Long::compare);
        return steps;
    }
}
