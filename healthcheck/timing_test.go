package healthcheck

import (
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestResolveTimingDefaults(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		want Timing
	}{
		{KindTCP, Timing{DelayLoop: 60 * time.Second, ConnectTimeout: 5 * time.Second, Retry: 1, DelayBeforeRetry: time.Second, Warmup: 60 * time.Second}},
		{KindHTTP, Timing{DelayLoop: 60 * time.Second, ConnectTimeout: 5 * time.Second, Retry: 1, DelayBeforeRetry: 3 * time.Second, Warmup: 60 * time.Second}},
		{KindSSL, Timing{DelayLoop: 60 * time.Second, ConnectTimeout: 5 * time.Second, Retry: 1, DelayBeforeRetry: 3 * time.Second, Warmup: 60 * time.Second}},
		{KindDNS, Timing{DelayLoop: 60 * time.Second, ConnectTimeout: 5 * time.Second, Retry: 3, DelayBeforeRetry: 60 * time.Second, Warmup: 60 * time.Second}},
		{KindMisc, Timing{DelayLoop: 60 * time.Second, ConnectTimeout: 60 * time.Second, Retry: 0, DelayBeforeRetry: time.Second, Warmup: 60 * time.Second}},
	} {
		got, err := ResolveTiming(tc.kind)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.kind, got, tc.want)
		}
	}
}

func TestResolveTimingLayers(t *testing.T) {
	vs := TimingOverride{DelayLoop: ptr(10 * time.Second), Retry: ptr(2), Alpha: ptr(true)}
	rs := TimingOverride{ConnectTimeout: ptr(3 * time.Second), Warmup: ptr(time.Duration(0))}
	chk := TimingOverride{Retry: ptr(5), Alpha: ptr(false)}
	got, err := ResolveTiming(KindDNS, vs, rs, chk)
	if err != nil {
		t.Fatal(err)
	}
	// DNS's delay_before_retry follows the resolved delay_loop; an explicit
	// retry anywhere beats DNS's default of 3; warmup 0 disables it.
	want := Timing{DelayLoop: 10 * time.Second, ConnectTimeout: 3 * time.Second, Retry: 5,
		DelayBeforeRetry: 10 * time.Second, Warmup: 0, Alpha: false}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	got, _ = ResolveTiming(KindMisc, vs)
	if got.ConnectTimeout != 10*time.Second || got.Retry != 2 || !got.Alpha {
		t.Errorf("MISC with vs layer: %+v", got)
	}
	if _, err := ResolveTiming(KindTCP, TimingOverride{DelayLoop: ptr(time.Duration(0))}); err == nil {
		t.Error("delay_loop 0 accepted")
	}
	if _, err := ResolveTiming(KindTCP, TimingOverride{Retry: ptr(-1)}); err == nil {
		t.Error("negative retry accepted")
	}
}
