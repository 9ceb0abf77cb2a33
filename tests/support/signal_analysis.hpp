// Measurements on rendered audio for tests: level, frequency, sine fits.
//
// Threads: test code only. Everything here is plain double arithmetic over a
// span of samples; nothing is real-time safe and nothing needs to be.
#pragma once

#include <cstddef>
#include <span>

namespace rtgraph::test_support {

// Largest absolute sample value; 0 for an empty span.
double peak(std::span<const float> signal);

// Root mean square; 0 for an empty span.
double rms(std::span<const float> signal);

// Arithmetic mean; 0 for an empty span.
double mean(std::span<const float> signal);

// Largest |x[n] - x[n-1]|: a click shows up as a jump larger than the
// signal's own slope allows.
double max_jump(std::span<const float> signal);

// Frequency from rising zero crossings, each located by linear interpolation
// between the two samples around it: (crossings - 1) cycles over the time
// between the first and the last crossing. 0 if fewer than two crossings.
double zero_crossing_frequency(std::span<const float> signal, double sample_rate);

// |X(f)| * 2 / N by the Goertzel recurrence at any (not only bin-centred)
// frequency: the amplitude of a sine at `frequency` when the window holds a
// whole number of its cycles.
double goertzel_amplitude(std::span<const float> signal, double sample_rate, double frequency);

// Least-squares fit x[n] ~ c cos(w n) + s sin(w n) + dc at a known frequency.
// Exact for a pure sine whatever the window length, so it measures a filter's
// steady-state gain without windowing error.
struct SineFit {
    double amplitude = 0.0;  // sqrt(c^2 + s^2)
    double phase = 0.0;      // radians, x ~ amplitude * cos(w n - phase)
    double dc = 0.0;
    double residual_rms = 0.0;  // what the fit leaves unexplained
};
SineFit fit_sine(std::span<const float> signal, double sample_rate, double frequency);

// 20 log10(a / b).
double ratio_db(double a, double b);

}  // namespace rtgraph::test_support
