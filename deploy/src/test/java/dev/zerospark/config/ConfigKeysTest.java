package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.model.Gpt2Config;
import dev.zerospark.model.LlamaConfig;
import dev.zerospark.testing.TestPaths;
import org.apache.xbean.asm9.ClassReader;
import org.apache.xbean.asm9.ClassVisitor;
import org.apache.xbean.asm9.MethodVisitor;
import org.apache.xbean.asm9.Opcodes;
import org.apache.xbean.asm9.Type;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every config key does something, and every documented default is the real one. Reads the compiled main classes
 * of all modules (this module sees them all) with ASM and records which record components are really read.
 *
 * <p>A component counts as read when main code outside its record calls its accessor, or when a method of the
 * record itself that is not its constructor, accessor, equals/hashCode/toString or a copier (a method building a
 * new instance of the record) reads it. Serialising a record (Jackson) or passing it through does not count.
 */
class ConfigKeysTest {
    /**
     * Keys that act without their accessor being called, each with a check that it does act: deepspeed_config is
     * read from the document before binding.
     */
    private static final Map<String, Executable> ACTS_OTHERWISE = Map.of(
            "TrainConfig.deepspeedConfig", () -> assertEquals(2, ConfigLoader.load(null, Map.of("train.world_size", 2,
                    "train.deepspeed_config", TestPaths.repoRoot().resolve("conf/ds_config.json").toString()))
                    .train().gradAccum()));
    /** Documented defaults that are not a literal, with what they mean. */
    private static final Map<String, Predicate<Object>> DERIVED_DEFAULTS = Map.of(
            "OptimizerConfig.minLr", v -> v.equals(0.1 * OptimizerConfig.defaults().lr()),
            "TrainConfig.seqLen", v -> v == null);
    private static final Pattern DEFAULT = Pattern.compile("\\bdefault:? ([^;)]+)");

    /** "owner#name" (owner as an internal name) accessor calls from classes other than the owner. */
    private static final Set<String> reads = new HashSet<>();
    /** "owner#name" reads inside the owner itself, with the methods that make them (plumbing and copiers left out). */
    private static final Map<String, Set<String>> ownReads = new HashMap<>();
    private static final List<Class<?>> configRecords = new ArrayList<>();

    @BeforeAll
    static void scanMainClasses() throws Exception {
        List<String> mainClasses = new ArrayList<>();
        for (URL root : Collections.list(ConfigKeysTest.class.getClassLoader().getResources("dev/zerospark"))) {
            mainClasses.addAll(classes(root));
        }
        assertTrue(mainClasses.contains("dev/zerospark/config/TrainConfig"), "main classes not found: " + mainClasses.size());
        assertTrue(mainClasses.contains("dev/zerospark/training/TrainJob"), "model-training classes not found");
        for (String name : mainClasses) {
            try (InputStream in = ConfigKeysTest.class.getClassLoader().getResourceAsStream(name + ".class")) {
                new ClassReader(in).accept(new ReadCollector(name), ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
            }
            if (name.startsWith("dev/zerospark/config/")) {
                Class<?> c = Class.forName(name.replace('/', '.'), false, ConfigKeysTest.class.getClassLoader());
                if (c.isRecord()) configRecords.add(c);
            }
        }
        // The model architecture, the collective's settings and the rank-side RunSpec the train keys become.
        configRecords.addAll(List.of(Gpt2Config.class, LlamaConfig.class, CollectiveConfig.class,
                Class.forName("dev.zerospark.training.RunSpec")));
    }

    /** Main (not test) classes under dev/zerospark in one classpath root: a directory or a jar. */
    private static List<String> classes(URL root) throws IOException {
        List<String> out = new ArrayList<>();
        if (root.getProtocol().equals("jar")) {
            JarURLConnection conn = (JarURLConnection) root.openConnection();
            if (conn.getJarFileURL().getPath().endsWith("-tests.jar")) return out;
            conn.setUseCaches(false); // our own JarFile to close, not the class loader's shared one
            try (JarFile jar = conn.getJarFile()) {
                for (JarEntry e : Collections.list(jar.entries())) {
                    if (e.getName().startsWith("dev/zerospark/") && e.getName().endsWith(".class")) {
                        out.add(e.getName().substring(0, e.getName().length() - 6));
                    }
                }
            }
            return out;
        }
        Path dir = Paths.get(java.net.URI.create(root.toString()));
        if (dir.toString().contains("test-classes")) return out;
        Path base = dir.getParent().getParent();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(p -> p.toString().endsWith(".class")).forEach(p -> {
                String rel = base.relativize(p).toString().replace('\\', '/');
                out.add(rel.substring(0, rel.length() - 6));
            });
        }
        return out;
    }

    private static final class ReadCollector extends ClassVisitor {
        private final String owner;

        ReadCollector(String owner) {
            super(Opcodes.ASM9);
            this.owner = owner;
        }

        @Override
        public MethodVisitor visitMethod(int access, String method, String desc, String sig, String[] exceptions) {
            boolean plumbing = method.equals("<init>") || method.equals("equals") || method.equals("hashCode")
                    || method.equals("toString");
            List<String> own = new ArrayList<>();
            return new MethodVisitor(Opcodes.ASM9) {
                private boolean copies;

                @Override
                public void visitMethodInsn(int op, String o, String name, String d, boolean itf) {
                    if (o.equals(owner) && name.equals("<init>")) copies = true;
                    if (!o.equals(owner)) reads.add(o + "#" + name);
                    else own.add(o + "#" + name);
                }

                @Override
                public void visitFieldInsn(int op, String o, String name, String d) {
                    if (op == Opcodes.GETFIELD && o.equals(owner)) own.add(o + "#" + name);
                }

                @Override
                public void visitEnd() {
                    if (plumbing || copies) return;
                    for (String read : own) ownReads.computeIfAbsent(read, k -> new HashSet<>()).add(method);
                }
            };
        }
    }

    private static String key(Class<?> record, RecordComponent c) {
        return record.getName().substring(record.getPackageName().length() + 1) + "." + c.getName();
    }

    @Test
    void everyComponentOfEveryConfigRecordIsRead() {
        assertTrue(configRecords.size() >= 10, "config records found: " + configRecords);
        Set<String> unread = new TreeSet<>();
        for (Class<?> r : configRecords) {
            for (RecordComponent c : r.getRecordComponents()) {
                if (!isRead(r, c.getName()) && !ACTS_OTHERWISE.containsKey(key(r, c))) {
                    unread.add(key(r, c));
                }
            }
        }
        assertEquals(Set.of(), unread, "config keys that nothing reads: make them do something or remove them");
    }

    /**
     * Read through the record's accessor from another class, through an interface it implements
     * (ModelConfig.eosTokenIds()), or by one of the record's own methods other than the accessors.
     */
    private static boolean isRead(Class<?> record, String component) {
        String key = Type.getInternalName(record) + "#" + component;
        if (reads.contains(key)) return true;
        Set<String> accessors = new HashSet<>();
        for (RecordComponent c : record.getRecordComponents()) accessors.add(c.getName());
        for (String method : ownReads.getOrDefault(key, Set.of())) {
            if (!accessors.contains(method)) return true;
        }
        for (Class<?> i : record.getInterfaces()) {
            if (reads.contains(Type.getInternalName(i) + "#" + component)) return true;
        }
        return false;
    }

    @Test
    void keysReadOtherwiseDoAct() throws Throwable {
        for (Executable check : ACTS_OTHERWISE.values()) check.execute();
    }

    /** The scan itself: a component read nowhere but in its constructor and a copier is reported as unread. */
    @Test
    void scanTellsReadFromUnread() {
        assertTrue(reads.contains("dev/zerospark/config/TrainConfig#worldSize"));
        assertTrue(reads.contains("dev/zerospark/config/TrainConfig#precision"), "read by RunSpec and ModelSource");
        assertTrue(reads.contains("dev/zerospark/config/DeepSpeedConfig$ZeroOptimization#overlapComm"));
        assertTrue(isRead(DeepSpeedConfig.class, "stepsPerPrint"), "read by its own ignoredSettings");
        assertFalse(ownReads.getOrDefault("dev/zerospark/config/PrepareConfig#splitMb", Set.of()).contains("with"),
                "the copier with(...) is not a read");
    }

    @Test
    void everyDocumentedDefaultIsTheRealDefault() throws Exception {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Class<?> r : configRecords) {
            Method defaults;
            try {
                defaults = r.getMethod("defaults");
            } catch (NoSuchMethodException e) {
                continue;
            }
            assertTrue(Modifier.isStatic(defaults.getModifiers()), r + ".defaults()");
            Object d = defaults.invoke(null);
            for (RecordComponent c : r.getRecordComponents()) {
                Object value = c.getAccessor().invoke(d);
                JsonPropertyDescription doc = r.getDeclaredField(c.getName()).getAnnotation(JsonPropertyDescription.class);
                assertTrue(doc != null, key(r, c) + " has no doc string");
                Matcher m = DEFAULT.matcher(doc.value());
                boolean scalar = value instanceof String || value instanceof Number || value instanceof Boolean
                        || value instanceof List;
                if (!m.find()) {
                    if (scalar) wrong.add(key(r, c) + " defaults to " + value + " but its doc does not say so");
                    continue;
                }
                checked++;
                String documented = m.group(1).trim();
                Predicate<Object> derived = DERIVED_DEFAULTS.get(key(r, c));
                boolean ok = derived != null ? derived.test(value) : matches(documented, value);
                if (!ok) wrong.add(key(r, c) + " is documented as default " + documented + " but defaults to " + value);
            }
        }
        assertTrue(checked >= 50, "documented defaults checked: " + checked);
        assertEquals(List.of(), wrong);
    }

    private static boolean matches(String documented, Object value) {
        if (value instanceof Number n) {
            try {
                return Double.parseDouble(documented) == n.doubleValue();
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return value != null && documented.equals(value.toString());
    }
}
