data "horizon_current_actor" "me" {}

output "terraform_runs_as" {
  value = "${data.horizon_current_actor.me.type} ${data.horizon_current_actor.me.name} (${data.horizon_current_actor.me.role})"
}
