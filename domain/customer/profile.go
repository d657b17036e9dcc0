package customer

import "time"

// Profile is the customer data partners send with purchases. A nil field was not sent.
type Profile struct {
	Gender   *Gender
	NickName *string
	Country  *string
	Province *string
	City     *string
}

// IsZero reports whether the profile carries no field at all.
func (p Profile) IsZero() bool {
	return p == Profile{}
}

// ProfileUpdate is the profile one purchase carried, with the purchase's time and its
// platform id, which orders purchases that share a time by arrival.
type ProfileUpdate struct {
	Profile      Profile
	PurchaseTime time.Time
	PlatformID   int64
}

// MergeProfiles folds updates into one profile. Each field takes the value of the newest
// purchase that carried it: the latest PurchaseTime, and among equal times the highest
// PlatformID. A purchase that does not carry a field never erases it, so the result does not
// depend on the order of updates.
func MergeProfiles(updates []ProfileUpdate) Profile {
	var merged Profile
	var newest [5]*ProfileUpdate

	for i := range updates {
		u := &updates[i]
		fields := [5]bool{
			u.Profile.Gender != nil,
			u.Profile.NickName != nil,
			u.Profile.Country != nil,
			u.Profile.Province != nil,
			u.Profile.City != nil,
		}
		for f, carried := range fields {
			if carried && (newest[f] == nil || newer(u, newest[f])) {
				newest[f] = u
			}
		}
	}

	if u := newest[0]; u != nil {
		merged.Gender = u.Profile.Gender
	}
	if u := newest[1]; u != nil {
		merged.NickName = u.Profile.NickName
	}
	if u := newest[2]; u != nil {
		merged.Country = u.Profile.Country
	}
	if u := newest[3]; u != nil {
		merged.Province = u.Profile.Province
	}
	if u := newest[4]; u != nil {
		merged.City = u.Profile.City
	}
	return merged
}

func newer(a, b *ProfileUpdate) bool {
	if !a.PurchaseTime.Equal(b.PurchaseTime) {
		return a.PurchaseTime.After(b.PurchaseTime)
	}
	return a.PlatformID > b.PlatformID
}
