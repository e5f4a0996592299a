// Linked into zhtok._core by setup.py in a sanitizer build with comparison tracing
// (ZHTOK_SANITIZE=1): gcc's -fsanitize-coverage=trace-cmp also traces floating-point
// comparisons, through two hooks that neither libasan nor libFuzzer defines. They do nothing;
// the integer comparison hooks are libFuzzer's when it is preloaded (fuzz/run.py), else
// libasan's empty ones.
extern "C" {
void __sanitizer_cov_trace_cmpf(float, float) {}
void __sanitizer_cov_trace_cmpd(double, double) {}
}
