package dev.zerospark.data.sample;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small synthetic news corpus for the demo and tests: short business-wire articles built from our own
 * templates (no third-party text), every third with a {@code riddle} target, plus exact copies, near-copies
 * and bad records so that dedup and quarantine have something to show. Deterministic for a given seed.
 */
public final class SampleCorpus {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String[] COMPANIES = {"Northwind Traders", "Bluewater Shipping", "Copperleaf Mining", "Harbor Light Energy",
            "Granite Peak Bank", "Silverline Rail", "Meadowbrook Foods", "Ironclad Steel", "Brightfield Solar", "Oakridge Pharma",
            "Cedar Valley Mills", "Summit Airways", "Riverstone Telecom", "Falcon Motors", "Lakeshore Insurance", "Redwood Timber",
            "Kestrel Chips", "Evergreen Retail", "Atlas Cement", "Marigold Textiles", "Pioneer Grain", "Beacon Media",
            "Sterling Chemicals", "Windmere Utilities", "Quarry Hill Gold", "Nimbus Software", "Tidewater Ports", "Juniper Health"};
    private static final String[] CITIES = {"Rotterdam", "Denver", "Osaka", "Lagos", "Lyon", "Calgary", "Perth", "Santiago",
            "Hamburg", "Mumbai", "Toronto", "Seoul", "Nairobi", "Oslo", "Houston", "Milan", "Auckland", "Lisbon"};
    private static final String[] PRODUCTS = {"crude oil", "copper", "wheat", "container freight", "steel coil", "solar panels",
            "memory chips", "jet fuel", "coffee beans", "cement", "cotton yarn", "timber", "natural gas", "insurance policies"};
    private static final String[] MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"};
    private static final String[] VERBS = {"rose", "fell", "climbed", "slipped", "jumped", "eased"};
    private static final String[] SENTENCES = {
            "{company} said on {day} it agreed to buy a {pct} pct stake in {other} for {amount} mln dlrs in cash.",
            "Shares of {company} {verb} {pct} pct in {city} trading after the announcement.",
            "The company expects demand for {product} to stay firm through {month}, its chief executive told reporters.",
            "Analysts at a {city} brokerage said the price of {product} {verb} to a {n}-month high last week.",
            "{other} reported quarterly net profit of {amount} mln dlrs, up from {amount2} mln a year earlier.",
            "The board of {company} approved a dividend of {cents} cents per share, payable in {month}.",
            "Regulators in {city} must still approve the {amount} mln dlr transaction before it can close.",
            "{company} plans to open {n} new plants near {city} and hire about {hundreds} workers by {month}.",
            "A spokesman for {other} declined to comment on the talks, citing a confidentiality agreement.",
            "Output of {product} at the {city} site {verb} {pct} pct in {month} because of maintenance work.",
            "Union leaders at {other} called off a {n}-day strike after wages were raised by {pct} pct.",
            "The deal values {other} at roughly {amount} mln dlrs including debt, according to people familiar with it.",
            "Freight rates for {product} shipped from {city} {verb} for a {n}th straight week.",
            "{company} cut its full-year forecast, blaming higher costs for {product} and a weaker {city} market."};
    private static final String[] RIDDLES = {
            "I buy a slice of my neighbour and pay in cash; my shares jump at the news. Who am I? {company}.",
            "I rise when the {product} flows and fall when the plant is quiet. What am I? Output in {city}.",
            "I pay {cents} cents to every holder once the {month} sun comes. What am I? The dividend of {company}.",
            "Regulators hold my key in {city}; until they turn it, the deal waits. What am I? Approval."};

    private SampleCorpus() {}

    /** Writes {@code articles.jsonl} into {@code dir} and returns its path. */
    public static Path write(Path dir, int articles, long seed) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve("articles.jsonl");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
                write(out, articles, seed);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the sample corpus to " + dir, e);
        }
    }

    /**
     * The corpus as JSONL: {@code articles} articles, then ~2% exact and ~2% near copies (of the first thousand),
     * then one record of each bad kind. Streams, so a benchmark corpus of hundreds of MB needs no heap.
     */
    public static void write(OutputStream out, int articles, long seed) throws IOException {
        Random r = new Random(seed);
        List<ObjectNode> good = new ArrayList<>();
        LocalDate day0 = LocalDate.of(2024, 1, 1);
        for (int i = 0; i < articles; i++) {
            String company = pick(r, COMPANIES);
            String title = company + " " + pick(r, new String[] {"agrees stake deal", "shares move on news", "raises output",
                    "cuts forecast", "sets dividend", "expands in " + pick(r, CITIES)});
            StringBuilder body = new StringBuilder(pick(r, CITIES).toUpperCase() + ", " + pick(r, MONTHS).substring(0, 3) + " " + (1 + r.nextInt(28)) + " - ");
            int sentences = 5 + r.nextInt(5);
            for (int s = 0; s < sentences; s++) {
                body.append(fill(pick(r, SENTENCES), r, company)).append(s % 3 == 2 ? "\n\n" : " ");
            }
            body.append("\nZeroSpark Wire");
            ObjectNode n = JSON.createObjectNode();
            n.put("id", String.format("zs-%05d", i));
            n.put("title", title);
            n.put("body", body.toString().replace("\nZeroSpark Wire", "\n Reuter"));
            n.put("published", day0.plusDays(i % 360).toString());
            n.put("url", "https://wire.example/zs-" + i);
            if (i % 3 == 0) n.put("riddle", fill(pick(r, RIDDLES), r, company));
            if (good.size() < 1000) good.add(n);
            line(out, n.toString());
        }
        int copies = Math.max(1, articles / 50);
        for (int c = 0; c < copies; c++) { // exact duplicates, published later: the original is kept
            ObjectNode n = good.get(r.nextInt(good.size())).deepCopy();
            n.put("id", n.get("id").asText() + "-syndicated");
            n.put("published", "2025-06-01");
            line(out, n.toString());
        }
        for (int c = 0; c < copies; c++) { // near duplicates: one sentence appended by a re-publisher
            ObjectNode n = good.get(r.nextInt(good.size())).deepCopy();
            n.put("id", n.get("id").asText() + "-updated");
            n.put("published", "2025-06-02");
            n.put("body", n.get("body").asText().replace("\n Reuter", "") + " Updated with a comment.");
            line(out, n.toString());
        }
        line(out, "{\"id\": \"bad-json\", \"title\": \"Truncated\", \"body\": \"The record was cut off in the mid");
        line(out, "{\"id\": \"bad-nobody\", \"title\": \"Headline without a story\"}");
        line(out, "{\"id\": \"bad-html\", \"body\": \"<div class=\\\"ad\\\"><script>show()</script><img src=\\\"banner.gif\\\"></div>\"}");
        line(out, "{\"id\": \"bad-short\", \"body\": \"Markets closed.\"}");
        line(out, "{\"id\": \"bad-spam\", \"body\": \"" + "Click to subscribe to our newsletter\\n".repeat(8) + "Markets were quiet on Friday in thin trading.\"}");
        out.write("{\"id\": \"bad-utf8\", \"body\": \"Caf".getBytes(StandardCharsets.UTF_8));
        out.write(new byte[] {(byte) 0xE9, ' '}); // Latin-1 e-acute: not UTF-8
        line(out, fill(SENTENCES[0], r, "Northwind Traders") + " More text follows here to pass the length filter.\"}");
    }

    private static void line(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.write('\n');
    }

    private static String pick(Random r, String[] options) {
        return options[r.nextInt(options.length)];
    }

    private static String fill(String template, Random r, String company) {
        String other;
        do {
            other = pick(r, COMPANIES);
        } while (other.equals(company));
        int amount = 20 + r.nextInt(900);
        return template.replace("{company}", company).replace("{other}", other).replace("{city}", pick(r, CITIES))
                .replace("{product}", pick(r, PRODUCTS)).replace("{month}", pick(r, MONTHS)).replace("{verb}", pick(r, VERBS))
                .replace("{day}", pick(r, new String[] {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}))
                .replace("{pct}", String.valueOf(2 + r.nextInt(40))).replace("{amount2}", String.valueOf(amount - 5 - r.nextInt(15)))
                .replace("{amount}", String.valueOf(amount)).replace("{cents}", String.valueOf(5 + r.nextInt(60)))
                .replace("{hundreds}", String.valueOf(100 * (1 + r.nextInt(9)))).replace("{n}", String.valueOf(2 + r.nextInt(11)));
    }
}
