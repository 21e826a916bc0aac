package content_test

import (
	"fmt"

	"github.com/tootops/tootops/bot/content"
)

func ExampleCommand() {
	dm := `<p><span class="h-card" translate="no"><a href="https://social.example.coop/@tootops" class="u-url mention">@<span>tootops</span></a></span></p><p>logs web 50</p>`
	fmt.Println(content.Command(dm))
	// Output: logs web 50
}

func ExamplePlainText() {
	fmt.Printf("%q\n", content.PlainText(`<p>it&#39;s <b>up</b><br />see <a href="https://social.example.coop/about/more"><span class="invisible">https://</span><span class="">social.example.coop/about/more</span><span class="invisible"></span></a></p><p>bye</p>`))
	// Output: "it's up\nsee https://social.example.coop/about/more\n\nbye"
}

func ExampleLength() {
	fmt.Println(content.Length("@alice@social.example.coop see https://social.example.coop/@alice/113456789012345678", 23))
	// Output: 34
}

func ExampleSplit() {
	for _, part := range content.Split("web up\nsidekiq up\nstreaming down\ndb up", "@alice@social.example.coop ", 34, 23) {
		fmt.Printf("%q\n", part)
	}
	// Output:
	// "@alice@social.example.coop web up\nsidekiq up (1/2)"
	// "@alice@social.example.coop streaming down\ndb up (2/2)"
}
