package io.pam.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pam.Route;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Loss and validation curves of a run (saved in checkpoints, drawn as PNG). */
public final class History {
    /** One optimiser step: global step, stage, lr, {total, l1, comp, lap, ds, pt}. */
    public record LossPoint(int step, int stage, double lr, double[] parts) {}

    /** One validation at a named budget: mean SAD, MSE, L1 and GMAC of the routes taken. */
    public record ValidationPoint(int step, int stage, String budget, double sad, double mse, double l1, double gmac) {}

    /** One stage-3 label: the integer budget, the label route and its cost. */
    public record LabelPoint(double budget, String route, double gmac) {}

    public final List<LossPoint> losses = new ArrayList<>();
    public final List<ValidationPoint> validations = new ArrayList<>();
    public final List<LabelPoint> labels = new ArrayList<>();

    void addLoss(int step, int stage, double lr, double[] parts) {
        losses.add(new LossPoint(step, stage, lr, parts.clone()));
    }

    void addValidation(int step, int stage, String budget, double[] s) {
        validations.add(new ValidationPoint(step, stage, budget, s[0], s[1], s[2], s[3]));
    }

    void addLabel(double budget, Route route, double gmac) {
        labels.add(new LabelPoint(budget, route.toString(), gmac));
    }

    double[] lastLoss() {
        return losses.isEmpty() ? new double[6] : losses.get(losses.size() - 1).parts();
    }

    private record Saved(List<LossPoint> losses, List<ValidationPoint> validations, List<LabelPoint> labels) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    String toJson() {
        try {
            return JSON.writeValueAsString(new Saved(losses, validations, labels));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    void restore(String json) {
        try {
            Saved s = JSON.readValue(json, Saved.class);
            losses.clear();
            validations.clear();
            labels.clear();
            losses.addAll(s.losses());
            validations.addAll(s.validations());
            labels.addAll(s.labels());
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable training history: " + e.getMessage(), e);
        }
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
