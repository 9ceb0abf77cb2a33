// Measurements on rendered audio for tests (see signal_analysis.hpp).
//
// Threads: test code only.
#include "support/signal_analysis.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace rtgraph::test_support {

double peak(std::span<const float> signal) {
    double result = 0.0;
    for (const float x : signal) result = std::max(result, std::fabs(static_cast<double>(x)));
    return result;
}

double rms(std::span<const float> signal) {
    if (signal.empty()) return 0.0;
    double sum = 0.0;
    for (const float x : signal) sum += static_cast<double>(x) * x;
    return std::sqrt(sum / static_cast<double>(signal.size()));
}

double mean(std::span<const float> signal) {
    if (signal.empty()) return 0.0;
    double sum = 0.0;
    for (const float x : signal) sum += x;
    return sum / static_cast<double>(signal.size());
}

double max_jump(std::span<const float> signal) {
    double result = 0.0;
    for (std::size_t n = 1; n < signal.size(); ++n) {
        result = std::max(result, std::fabs(static_cast<double>(signal[n]) - signal[n - 1]));
    }
    return result;
}

double zero_crossing_frequency(std::span<const float> signal, double sample_rate) {
    double first = -1.0;
    double last = -1.0;
    std::size_t crossings = 0;
    for (std::size_t n = 1; n < signal.size(); ++n) {
        const double a = signal[n - 1];
        const double b = signal[n];
        if (a < 0.0 && b >= 0.0) {
            const double t = static_cast<double>(n - 1) + a / (a - b);
            if (crossings == 0) first = t;
            last = t;
            ++crossings;
        }
    }
    if (crossings < 2) return 0.0;
    return static_cast<double>(crossings - 1) * sample_rate / (last - first);
}

double goertzel_amplitude(std::span<const float> signal, double sample_rate, double frequency) {
    if (signal.empty()) return 0.0;
    const double w = 2.0 * std::numbers::pi * frequency / sample_rate;
    const double coefficient = 2.0 * std::cos(w);
    double s1 = 0.0;
    double s2 = 0.0;
    for (const float x : signal) {
        const double s0 = x + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    // |X|^2 from the last two states, valid for non-integer bins too.
    const double power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    return 2.0 * std::sqrt(std::max(power, 0.0)) / static_cast<double>(signal.size());
}

SineFit fit_sine(std::span<const float> signal, double sample_rate, double frequency) {
    // Normal equations for the basis {cos, sin, 1}.
    const double w = 2.0 * std::numbers::pi * frequency / sample_rate;
    std::array<std::array<double, 4>, 3> m{};  // augmented 3x3 | rhs
    for (std::size_t n = 0; n < signal.size(); ++n) {
        const double phi = w * static_cast<double>(n);
        const std::array<double, 3> basis{std::cos(phi), std::sin(phi), 1.0};
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) m[i][j] += basis[i] * basis[j];
            m[i][3] += basis[i] * signal[n];
        }
    }
    // Gauss-Jordan with partial pivoting.
    for (int col = 0; col < 3; ++col) {
        int pivot = col;
        for (int r = col + 1; r < 3; ++r) {
            if (std::fabs(m[r][col]) > std::fabs(m[pivot][col])) pivot = r;
        }
        std::swap(m[col], m[pivot]);
        if (m[col][col] == 0.0) return {};
        for (int r = 0; r < 3; ++r) {
            if (r == col) continue;
            const double factor = m[r][col] / m[col][col];
            for (int c = col; c < 4; ++c) m[r][c] -= factor * m[col][c];
        }
    }
    const double c = m[0][3] / m[0][0];
    const double s = m[1][3] / m[1][1];
    const double dc = m[2][3] / m[2][2];
    double residual = 0.0;
    for (std::size_t n = 0; n < signal.size(); ++n) {
        const double phi = w * static_cast<double>(n);
        const double e = signal[n] - (c * std::cos(phi) + s * std::sin(phi) + dc);
        residual += e * e;
    }
    SineFit fit;
    fit.amplitude = std::hypot(c, s);
    fit.phase = std::atan2(s, c);
    fit.dc = dc;
    fit.residual_rms = signal.empty() ? 0.0 : std::sqrt(residual / signal.size());
    return fit;
}

double ratio_db(double a, double b) { return 20.0 * std::log10(a / b); }

}  // namespace rtgraph::test_support
