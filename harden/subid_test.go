package harden

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// randomUsers makes n users; some have explicit UIDs, counts or ranges.
func randomUsers(rng *rand.Rand, n int) []ContainerUser {
	users := make([]ContainerUser, n)
	for i := range users {
		u := ContainerUser{Name: fmt.Sprintf("u%d", i)}
		switch rng.IntN(5) {
		case 0:
			u.UID = 1000 + uint32(rng.IntN(200000))
		case 1:
			u.SubIDCount = SubIDDefaultCount + uint32(rng.IntN(200000))
		case 2:
			u.SubIDs = &SubIDRange{Start: uint32(rng.IntN(1 << 31)), Count: SubIDDefaultCount + uint32(rng.IntN(1<<20))}
		}
		users[i] = u
	}
	return users
}

// TestAllocateSubIDsProperties: for random users, either the allocation
// fails with typed errors, or no two ranges overlap, no range contains a
// UID, allocated ranges start at SubIDMin or above, miss the admin reserve
// and hold at least 65536 IDs, explicit values are kept, and adding a user
// without explicit values at the end changes no earlier assignment.
func TestAllocateSubIDsProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	succeeded := 0
	for iter := 0; iter < 2000; iter++ {
		users := randomUsers(rng, 1+rng.IntN(12))
		got, err := AllocateSubIDs(users)
		if err != nil {
			var ves ValidationErrors
			if !errors.As(err, &ves) || len(ves) == 0 {
				t.Fatalf("error is not ValidationErrors: %v", err)
			}
			continue
		}
		succeeded++
		checkAssignments(t, users, got)

		more := append(append([]ContainerUser(nil), users...), ContainerUser{Name: "added"})
		got2, err := AllocateSubIDs(more)
		if err != nil {
			t.Fatalf("adding a plain user failed: %v", err)
		}
		checkAssignments(t, more, got2)
		for i := range got {
			if got[i] != got2[i] {
				t.Fatalf("adding a user at the end moved %+v to %+v", got[i], got2[i])
			}
		}
	}
	if succeeded < 500 {
		t.Fatalf("only %d of 2000 random sets were valid; the generator tests too little", succeeded)
	}
}

func checkAssignments(t *testing.T, users []ContainerUser, got []SubIDAssignment) {
	t.Helper()
	for i, a := range got {
		u := users[i]
		if u.UID != 0 && a.UID != u.UID {
			t.Fatalf("%s: explicit UID %d became %d", u.Name, u.UID, a.UID)
		}
		if u.SubIDs != nil && a.Range != *u.SubIDs {
			t.Fatalf("%s: explicit range %+v became %+v", u.Name, *u.SubIDs, a.Range)
		}
		if u.SubIDs == nil {
			r := interval{uint64(a.Range.Start), a.Range.End()}
			if a.Range.Start < SubIDMin || r.overlaps(interval{uint64(AdminSubIDReserve.Start), AdminSubIDReserve.End()}) {
				t.Fatalf("%s: allocated %+v below %d or in the admin reserve", u.Name, a.Range, SubIDMin)
			}
		}
		if a.Range.Count < SubIDDefaultCount || a.Range.End() > 1<<32 {
			t.Fatalf("%s: range %+v too small or past the ID space", u.Name, a.Range)
		}
		for j, b := range got {
			if i != j && (interval{uint64(a.Range.Start), a.Range.End()}).overlaps(interval{uint64(b.Range.Start), b.Range.End()}) {
				t.Fatalf("%s %+v overlaps %s %+v", a.User, a.Range, b.User, b.Range)
			}
			if a.Range.Start <= b.UID && uint64(b.UID) < a.Range.End() {
				t.Fatalf("%s's range %+v contains UID %d of %s", a.User, a.Range, b.UID, b.User)
			}
			if i != j && a.UID == b.UID {
				t.Fatalf("%s and %s share UID %d", a.User, b.User, a.UID)
			}
		}
	}
}

func TestAllocateSubIDsErrors(t *testing.T) {
	tests := []struct {
		name  string
		users []ContainerUser
		path  string
	}{
		{"overlap", []ContainerUser{{Name: "a", SubIDs: &SubIDRange{200000, 65536}},
			{Name: "b", SubIDs: &SubIDRange{250000, 65536}}}, "container_users[1].subid_start"},
		{"past 32 bits", []ContainerUser{{Name: "a", SubIDs: &SubIDRange{4294967295 - 1000, 65536}}},
			"container_users[0].subid_start"},
		{"too small", []ContainerUser{{Name: "a", SubIDCount: 1000}}, "container_users[0].subid_count"},
		{"contains uid", []ContainerUser{{Name: "a", UID: 200001}, {Name: "b", SubIDs: &SubIDRange{200000, 65536}}},
			"container_users[1].subid_start"},
		{"duplicate uid", []ContainerUser{{Name: "a", UID: 2000}, {Name: "b", UID: 2000}}, "container_users[1].uid"},
		{"system uid", []ContainerUser{{Name: "a", UID: 10}}, "container_users[0].uid"},
		{"exhausted", []ContainerUser{{Name: "a", SubIDCount: 4294967295}}, "container_users[0].subid_count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AllocateSubIDs(tt.users)
			var ves ValidationErrors
			if !errors.As(err, &ves) {
				t.Fatalf("got %v, want ValidationErrors", err)
			}
			if ves[0].Path.String() != tt.path {
				t.Fatalf("error path %s, want %s (%v)", ves[0].Path, tt.path, err)
			}
		})
	}
}

func TestAllocateSubIDsSkipsUIDsAndReserve(t *testing.T) {
	got, err := AllocateSubIDs([]ContainerUser{{Name: "a", UID: 170000}, {Name: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	// 165536 would be next after the reserve, but [165536, 231072) holds UID 170000.
	if got[0].Range.Start != 170001 || got[1].Range.Start != 170001+SubIDDefaultCount {
		t.Fatalf("got %+v", got)
	}
}
