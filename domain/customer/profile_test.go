package customer_test

import (
	"testing"
	"time"

	"github.com/txsync/txsync/domain/customer"
)

func ptr[T any](v T) *T { return &v }

func TestMergeProfiles(t *testing.T) {
	t.Parallel()
	at := func(hour int) time.Time { return time.Date(2026, 1, 1, hour, 0, 0, 0, time.UTC) }
	updates := []customer.ProfileUpdate{
		{Profile: customer.Profile{NickName: ptr("old"), City: ptr("Shenzhen")}, PurchaseTime: at(1), PlatformID: 1},
		{Profile: customer.Profile{NickName: ptr("new"), Gender: ptr(customer.Female)}, PurchaseTime: at(3), PlatformID: 2},
		// Arrived later but happened earlier: it must not override the newer nick name.
		{Profile: customer.Profile{NickName: ptr("late"), Country: ptr("中国")}, PurchaseTime: at(2), PlatformID: 3},
		// Same time as the newest nick name, arrived later: it wins the tie.
		{Profile: customer.Profile{Gender: ptr(customer.Male)}, PurchaseTime: at(3), PlatformID: 4},
		// Carries nothing: erases nothing.
		{Profile: customer.Profile{}, PurchaseTime: at(9), PlatformID: 5},
	}
	want := customer.Profile{
		NickName: ptr("new"),
		Gender:   ptr(customer.Male),
		Country:  ptr("中国"),
		City:     ptr("Shenzhen"),
	}

	// Every order of arrival gives the same profile.
	orders := [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {1, 3, 0, 4, 2}}
	for _, order := range orders {
		shuffled := make([]customer.ProfileUpdate, len(order))
		for i, j := range order {
			shuffled[i] = updates[j]
		}
		got := customer.MergeProfiles(shuffled)
		assertProfile(t, order, got, want)
	}
}

func TestMergeProfiles_empty(t *testing.T) {
	t.Parallel()
	if got := customer.MergeProfiles(nil); !got.IsZero() {
		t.Errorf("MergeProfiles(nil) = %+v, want the zero profile", got)
	}
}

func assertProfile(t *testing.T, order []int, got, want customer.Profile) {
	t.Helper()
	check := func(field string, got, want *string) {
		if (got == nil) != (want == nil) || (got != nil && *got != *want) {
			t.Errorf("order %v: %s = %v, want %v", order, field, deref(got), deref(want))
		}
	}
	check("nick name", got.NickName, want.NickName)
	check("country", got.Country, want.Country)
	check("province", got.Province, want.Province)
	check("city", got.City, want.City)
	if (got.Gender == nil) != (want.Gender == nil) || (got.Gender != nil && *got.Gender != *want.Gender) {
		t.Errorf("order %v: gender = %v, want %v", order, got.Gender, want.Gender)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<absent>"
	}
	return *s
}
